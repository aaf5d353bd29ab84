/* execveat: AT_EMPTY_PATH on an fd (regular and O_PATH), a dirfd-relative
 * path, fexecve; error cases. */
#include "guest.h"
#include <sys/sendfile.h>

static void run(const char *label, int dirfd, const char *path, int flags) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = {"prog", "--child", (char *)label, NULL};
		char *envp[] = {NULL};
		syscall(SYS_execveat, dirfd, path, args, envp, flags);
		_exit(100 + errno);
	}
	printf("%s: %s\n", label, guest_wait(pid));
}

int main(int argc, char **argv) {
	if (argc > 2 && strcmp(argv[1], "--child") == 0) {
		printf("  child running for %s, argc = %d\n", argv[2], argc);
		return 5;
	}
	/* Copy our binary into the working directory. */
	int src = open("/proc/self/exe", O_RDONLY);
	CHECK(src >= 0);
	struct stat st;
	CHECK(fstat(src, &st) == 0);
	CHECK(mkdir("bin", 0755) == 0);
	int dst = open("bin/prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK(dst >= 0);
	off_t off = 0;
	while (off < st.st_size)
		if (sendfile(dst, src, &off, st.st_size - off) <= 0)
			break;
	close(dst);
	printf("copied binary = %d\n", off == st.st_size);

	run("AT_EMPTY_PATH on /proc/self/exe fd", src, "", AT_EMPTY_PATH);
	int opath = open("bin/prog", O_PATH);
	run("AT_EMPTY_PATH on O_PATH fd", opath, "", AT_EMPTY_PATH);
	int dir = open("bin", O_RDONLY | O_DIRECTORY);
	run("dirfd-relative path", dir, "prog", 0);
	run("AT_FDCWD relative path", AT_FDCWD, "bin/prog", 0);
	run("empty path without AT_EMPTY_PATH (ENOENT=2)", src, "", 0);
	run("bad flags (EINVAL=22)", AT_FDCWD, "bin/prog", 0x4);
	run("relative path, non-directory fd (ENOTDIR=20)", src, "prog", 0);
	symlink("prog", "bin/link");
	run("AT_SYMLINK_NOFOLLOW on a symlink (ELOOP=40)", dir, "link", AT_SYMLINK_NOFOLLOW);
	run("symlink followed", dir, "link", 0);
	int ro = open("bin/prog", O_RDONLY);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = {"prog", "--child", "fexecve", NULL};
		char *envp[] = {NULL};
		fexecve(ro, args, envp);
		_exit(100 + errno);
	}
	printf("fexecve: %s\n", guest_wait(pid));
	return done();
}
