/* getcwd/chdir/fchdir. The scratch directory is always named "work". */
#include "guest.h"

static void show_cwd(const char *label) {
	char buf[PATH_MAX];
	if (getcwd(buf, sizeof buf) == NULL) {
		FAIL("getcwd: %s", errname(errno));
		return;
	}
	const char *base = strrchr(buf, '/');
	printf("%s: absolute=%d basename=%s\n", label, buf[0] == '/', base ? base + 1 : buf);
}

int main(void) {
	show_cwd("start");
	char start[PATH_MAX];
	CHECK(getcwd(start, sizeof start) != NULL);
	CHECK(mkdir("a", 0755) == 0);
	CHECK(mkdir("a/b", 0755) == 0);
	put_file("file", "x");

	EXPECT_EQ("chdir(a/b)", chdir("a/b"), 0);
	show_cwd("after chdir a/b");
	EXPECT_EQ("chdir(..)", chdir(".."), 0);
	show_cwd("after chdir ..");
	EXPECT_ERR("chdir(missing)", chdir("missing"), ENOENT);
	EXPECT_ERR("chdir(../file)", chdir("../file"), ENOTDIR);
	show_cwd("after failed chdirs");

	int fd = open(start, O_RDONLY | O_DIRECTORY);
	EXPECT_EQ("fchdir(start)", fchdir(fd), 0);
	show_cwd("after fchdir");
	close(fd);
	fd = open("file", O_RDONLY);
	EXPECT_ERR("fchdir(file)", fchdir(fd), ENOTDIR);
	close(fd);
	EXPECT_ERR("fchdir(bad fd)", fchdir(-1), EBADF);

	/* Raw getcwd returns the length including the NUL. */
	char buf[PATH_MAX];
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	CHECK(n == (long)strlen(start) + 1);
	printf("raw getcwd length matches = %d\n", n == (long)strlen(start) + 1);
	EXPECT_ERR("getcwd(size 1)", syscall(SYS_getcwd, buf, 1), ERANGE);
	EXPECT_ERR("getcwd(size 0)", syscall(SYS_getcwd, buf, 0), ERANGE);

	EXPECT_EQ("chdir(/)", chdir("/"), 0);
	CHECK(getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);
	printf("cwd at root = %s\n", buf);
	EXPECT_EQ("chdir(/..)", chdir("/.."), 0);
	CHECK(getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);
	printf("cwd after /.. = %s\n", buf);
	return done();
}
