/* symlink/link/linkat: targets, nlink, relative resolution, errors. */
#include "guest.h"

static void cat(const char *path) {
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("  cat %s = -1 %s\n", path, errname(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf - 1);
	printf("  cat %s = \"%.*s\"\n", path, (int)(n > 0 ? n : 0), buf);
	close(fd);
}

int main(void) {
	put_file("file", "content");
	CHECK(mkdir("d", 0755) == 0);
	EXPECT_EQ("symlink(../file, d/up)", symlink("../file", "d/up"), 0);
	cat("d/up");
	EXPECT_EQ("symlink(d, dl)", symlink("d", "dl"), 0);
	cat("dl/up");
	EXPECT_EQ("symlink(/.., abs-root-up)", symlink("/..", "rootup"), 0);
	struct stat a, b;
	CHECK(stat("rootup", &a) == 0 && stat("/", &b) == 0);
	printf("  /.. is / = %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	EXPECT_ERR("symlink(existing name)", symlink("x", "file"), EEXIST);
	EXPECT_ERR("symlink(empty target)", symlink("", "empty"), ENOENT);
	EXPECT_ERR("symlink(in missing dir)", symlink("x", "missing/l"), ENOENT);

	EXPECT_EQ("link(file, hard)", link("file", "hard"), 0);
	CHECK(stat("file", &a) == 0 && stat("hard", &b) == 0);
	printf("  nlink = %ld, same inode = %d\n", (long)a.st_nlink, a.st_ino == b.st_ino);
	put_file("hard", "changed");
	cat("file");
	EXPECT_EQ("unlink(file)", unlink("file"), 0);
	CHECK(stat("hard", &b) == 0);
	printf("  nlink after unlink = %ld\n", (long)b.st_nlink);
	cat("d/up");
	EXPECT_ERR("link(dir)", link("d", "dlink"), EPERM);
	EXPECT_ERR("link(missing)", link("missing", "x"), ENOENT);
	EXPECT_ERR("link(onto existing)", link("hard", "dl"), EEXIST);
	/* link does not follow symlinks by default; linkat with AT_SYMLINK_FOLLOW does. */
	CHECK(symlink("hard", "sym") == 0);
	EXPECT_EQ("link(sym, sym2)", link("sym", "sym2"), 0);
	CHECK(lstat("sym2", &a) == 0);
	printf("  sym2 is symlink = %d\n", S_ISLNK(a.st_mode));
	EXPECT_EQ("linkat(sym, sym3, FOLLOW)", linkat(AT_FDCWD, "sym", AT_FDCWD, "sym3", AT_SYMLINK_FOLLOW), 0);
	CHECK(lstat("sym3", &a) == 0);
	printf("  sym3 is regular = %d\n", S_ISREG(a.st_mode));
	EXPECT_ERR("linkat(bad flags)", linkat(AT_FDCWD, "hard", AT_FDCWD, "x", 0x1), EINVAL);

	/* Long chains: 40 links are followed, more give ELOOP. */
	char name[32], target[32];
	put_file("c0", "end");
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof name, "c%d", i);
		snprintf(target, sizeof target, "c%d", i - 1);
		CHECK(symlink(target, name) == 0);
	}
	cat("c40");
	cat("c41");
	return done();
}
