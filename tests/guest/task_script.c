/* "#!" scripts: interpreter gets the optional argument, the script path and
 * the remaining argv; missing interpreter; nesting. */
#include "guest.h"

static void run(const char *label, const char *path, char *const args[]) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execv(path, args);
		printf("  execv(%s) = -1 %s\n", path, errname(errno));
		fflush(stdout);
		_exit(100);
	}
	const char *st = guest_wait(pid);
	printf("%s: %s\n", label, st);
}

int main(void) {
	put_file("cat.sh", "#!/bin/cat\nline two of the script\n");
	chmod("cat.sh", 0755);
	run("#!/bin/cat", "./cat.sh", (char *[]){"./cat.sh", NULL});

	put_file("echo.sh", "#!/bin/echo  one  arg  \n");
	chmod("echo.sh", 0755);
	run("#!/bin/echo with argument", "./echo.sh", (char *[]){"ignored-argv0", "a", "b", NULL});

	put_file("catn.sh", "#!/bin/cat -n\nnumbered\n");
	chmod("catn.sh", 0755);
	run("#!/bin/cat -n", "./catn.sh", (char *[]){"./catn.sh", NULL});

	put_file("nested.sh", "#!./echo.sh nested-arg\n");
	chmod("nested.sh", 0755);
	run("script interpreted by a script", "./nested.sh", (char *[]){"./nested.sh", "x", NULL});

	put_file("missing.sh", "#!/no/such/interpreter\n");
	chmod("missing.sh", 0755);
	run("missing interpreter", "./missing.sh", (char *[]){"./missing.sh", NULL});

	put_file("noexec.sh", "#!/bin/cat\n");
	run("script without x bit", "./noexec.sh", (char *[]){"./noexec.sh", NULL});

	put_file("sh.sh", "#!/bin/sh\necho shell says $# \"$1\"\nexit 7\n");
	chmod("sh.sh", 0755);
	run("#!/bin/sh script", "./sh.sh", (char *[]){"./sh.sh", "arg1", NULL});
	return done();
}
