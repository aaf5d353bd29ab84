/* mkdir/mkdirat/rmdir: EEXIST, ENOTEMPTY, EINVAL on ".", ENOTDIR. */
#include "guest.h"

int main(void) {
	EXPECT_EQ("mkdir(d, 0750)", mkdir("d", 0750), 0);
	struct stat st;
	CHECK(stat("d", &st) == 0);
	printf("mode = %o isdir = %d nlink = %ld\n", st.st_mode & 0777, S_ISDIR(st.st_mode), (long)st.st_nlink);
	EXPECT_ERR("mkdir(d) again", mkdir("d", 0755), EEXIST);
	EXPECT_ERR("mkdir(d/) again", mkdir("d/", 0755), EEXIST);
	EXPECT_EQ("mkdir(d/sub/)", mkdir("d/sub/", 0755), 0);
	CHECK(stat("d", &st) == 0);
	printf("parent nlink after subdir = %ld\n", (long)st.st_nlink);
	EXPECT_ERR("mkdir(missing/x)", mkdir("missing/x", 0755), ENOENT);
	put_file("file", "x");
	EXPECT_ERR("mkdir(file)", mkdir("file", 0755), EEXIST);
	EXPECT_ERR("mkdir(file/x)", mkdir("file/x", 0755), ENOTDIR);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	EXPECT_EQ("mkdirat(dirfd, sub2)", mkdirat(dfd, "sub2", 0700), 0);
	put_file("d/sub/f", "x");

	EXPECT_ERR("rmdir(d) non-empty", rmdir("d"), ENOTEMPTY);
	EXPECT_ERR("rmdir(d/sub) non-empty", rmdir("d/sub"), ENOTEMPTY);
	EXPECT_ERR("rmdir(file)", rmdir("file"), ENOTDIR);
	EXPECT_ERR("rmdir(d/.)", rmdir("d/."), EINVAL);
	EXPECT_ERR("rmdir(d/sub2/..)", rmdir("d/sub2/.."), ENOTEMPTY);
	EXPECT_ERR("rmdir(missing)", rmdir("missing"), ENOENT);
	EXPECT_EQ("unlink(d/sub/f)", unlink("d/sub/f"), 0);
	EXPECT_EQ("rmdir(d/sub)", rmdir("d/sub"), 0);
	EXPECT_EQ("unlinkat(dirfd, sub2, REMOVEDIR)", unlinkat(dfd, "sub2", AT_REMOVEDIR), 0);
	EXPECT_EQ("rmdir(d/)", rmdir("d/"), 0);
	EXPECT_ERR("mkdirat(dirfd of removed dir)", mkdirat(dfd, "x", 0755), ENOENT);
	close(dfd);

	/* A removed cwd: getcwd fails with ENOENT. */
	CHECK(mkdir("gone", 0755) == 0);
	CHECK(chdir("gone") == 0);
	EXPECT_EQ("rmdir(cwd)", rmdir("../gone"), 0);
	char buf[PATH_MAX];
	EXPECT_ERR("getcwd in removed dir", syscall(SYS_getcwd, buf, sizeof buf), ENOENT);
	EXPECT_ERR("creat in removed cwd", open("x", O_CREAT | O_WRONLY, 0644), ENOENT);
	return done();
}
