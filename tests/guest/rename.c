/* rename/renameat2/unlink/unlinkat. */
#include "guest.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

static void show(const char *path) {
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("  %s: -1 %s\n", path, errname(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf - 1);
	printf("  %s: \"%.*s\"\n", path, (int)(n > 0 ? n : 0), buf);
	close(fd);
}

int main(void) {
	put_file("a", "A");
	put_file("b", "B");
	CHECK(mkdir("d", 0755) == 0);
	CHECK(mkdir("e", 0755) == 0);
	put_file("e/inside", "I");

	EXPECT_EQ("rename(a, c)", rename("a", "c"), 0);
	show("a");
	show("c");
	EXPECT_EQ("rename(c, b) replaces", rename("c", "b"), 0);
	show("b");
	show("c");
	EXPECT_EQ("rename(b, d/b)", rename("b", "d/b"), 0);
	show("d/b");
	EXPECT_EQ("rename(d/b, d/b) same", rename("d/b", "d/b"), 0);
	EXPECT_ERR("rename(missing, x)", rename("missing", "x"), ENOENT);
	EXPECT_ERR("rename(d/b, nodir/x)", rename("d/b", "nodir/x"), ENOENT);
	EXPECT_ERR("rename(d/b, e) file over dir", rename("d/b", "e"), EISDIR);
	EXPECT_ERR("rename(e, d/b) dir over file", rename("e", "d/b"), ENOTDIR);
	EXPECT_ERR("rename(d, e) over non-empty dir", rename("d", "e"), ENOTEMPTY);
	EXPECT_ERR("rename(e, e/sub) into itself", rename("e", "e/sub"), EINVAL);
	EXPECT_EQ("rename(e, f) dir", rename("e", "f"), 0);
	show("f/inside");
	CHECK(mkdir("empty", 0755) == 0);
	EXPECT_EQ("rename(f, empty) over empty dir", rename("f", "empty"), 0);
	show("empty/inside");

	put_file("x", "X");
	put_file("y", "Y");
	EXPECT_ERR("renameat2(NOREPLACE existing)", syscall(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE), EEXIST);
	EXPECT_EQ("renameat2(NOREPLACE new)", syscall(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "z", RENAME_NOREPLACE), 0);
	EXPECT_ERR("renameat2(bad flags)", syscall(SYS_renameat2, AT_FDCWD, "z", AT_FDCWD, "w", 0x100), EINVAL);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	EXPECT_EQ("renameat(AT_FDCWD z, dirfd zz)", renameat(AT_FDCWD, "z", dfd, "zz"), 0);
	show("d/zz");

	/* An open file survives unlink. */
	int fd = open("y", O_RDONLY);
	EXPECT_EQ("unlink(y) while open", unlink("y"), 0);
	char c = 0;
	EXPECT_EQ("read unlinked open file", read(fd, &c, 1), 1);
	printf("  byte = %c\n", c);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("  nlink after unlink = %ld\n", (long)st.st_nlink);
	close(fd);
	EXPECT_ERR("unlink(y) again", unlink("y"), ENOENT);
	EXPECT_ERR("unlink(dir)", unlink("d"), EISDIR);
	EXPECT_ERR("unlink(d/zz/)", unlink("d/zz/"), ENOTDIR);
	EXPECT_EQ("unlinkat(dirfd, zz)", unlinkat(dfd, "zz", 0), 0);
	EXPECT_ERR("unlinkat(bad flag)", unlinkat(dfd, "zz", 0x1), EINVAL);
	EXPECT_EQ("unlink(d/b)", unlink("d/b"), 0);
	EXPECT_EQ("unlinkat(d, AT_REMOVEDIR)", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR), 0);
	close(dfd);
	EXPECT_ERR("stat(d)", stat("d", &st), ENOENT);
	return done();
}
