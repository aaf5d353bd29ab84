/* readlinkat: contents, truncation, errors. */
#include "guest.h"

int main(void) {
	put_file("target", "x");
	CHECK(symlink("target", "rel") == 0);
	CHECK(symlink("/some/absolute/path", "abs") == 0);
	CHECK(mkdir("dir", 0755) == 0);
	CHECK(symlink("../target", "dir/up") == 0);

	char buf[64];
	long n;
	n = readlinkat(AT_FDCWD, "rel", buf, sizeof buf);
	EXPECT_EQ("readlinkat(rel)", n, 6);
	printf("rel -> %.*s\n", (int)(n > 0 ? n : 0), buf);
	n = readlink("abs", buf, sizeof buf);
	EXPECT_EQ("readlink(abs)", n, 19);
	printf("abs -> %.*s\n", (int)(n > 0 ? n : 0), buf);

	int d = open("dir", O_RDONLY | O_DIRECTORY);
	n = readlinkat(d, "up", buf, sizeof buf);
	EXPECT_EQ("readlinkat(dirfd, up)", n, 9);
	printf("dir/up -> %.*s\n", (int)(n > 0 ? n : 0), buf);
	close(d);

	memset(buf, '#', sizeof buf);
	EXPECT_EQ("readlink(abs, bufsiz 4)", readlink("abs", buf, 4), 4);
	printf("truncated = %.5s\n", buf);

	EXPECT_ERR("readlink(regular file)", readlink("target", buf, sizeof buf), EINVAL);
	EXPECT_ERR("readlink(directory)", readlink("dir", buf, sizeof buf), EINVAL);
	EXPECT_ERR("readlink(missing)", readlink("missing", buf, sizeof buf), ENOENT);
	EXPECT_ERR("readlink(bufsiz 0)", syscall(SYS_readlinkat, AT_FDCWD, "rel", buf, 0), EINVAL);
	EXPECT_ERR("readlink(bufsiz -1)", syscall(SYS_readlinkat, AT_FDCWD, "rel", buf, -1), EINVAL);
	EXPECT_ERR("readlink(target/x)", readlink("target/x", buf, sizeof buf), ENOTDIR);
	/* The last component is not followed, intermediate ones are. */
	CHECK(symlink("dir", "dirlink") == 0);
	n = readlink("dirlink/up", buf, sizeof buf);
	EXPECT_EQ("readlink(dirlink/up)", n, 9);
	return done();
}
