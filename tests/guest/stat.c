/* fstat/newfstatat/stat/lstat/statx: sizes, mode types, nlink, errors. */
#include "guest.h"
#include <sys/sysmacros.h>

static const char *kind(mode_t m) {
	switch (m & S_IFMT) {
	case S_IFREG: return "regular";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chardev";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFBLK: return "blockdev";
	}
	return "?";
}

int main(void) {
	put_file("file", "twelve bytes");
	CHECK(mkdir("dir", 0755) == 0);
	CHECK(symlink("file", "link") == 0);
	CHECK(chmod("file", 0640) == 0);

	struct stat st;
	int fd = open("file", O_RDONLY);
	EXPECT_EQ("fstat(file)", fstat(fd, &st), 0);
	printf("file: %s size=%ld mode=%o nlink=%ld blksize>0=%d\n", kind(st.st_mode), (long)st.st_size,
	       st.st_mode & 07777, (long)st.st_nlink, st.st_blksize > 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 12);

	struct stat st2;
	EXPECT_EQ("stat(file)", stat("file", &st2), 0);
	CHECK(st2.st_ino == st.st_ino && st2.st_dev == st.st_dev);
	printf("stat and fstat agree on dev/ino = %d\n", st2.st_ino == st.st_ino && st2.st_dev == st.st_dev);

	EXPECT_EQ("newfstatat(dir)", fstatat(AT_FDCWD, "dir", &st, 0), 0);
	printf("dir: %s mode=%o nlink=%ld\n", kind(st.st_mode), st.st_mode & 07777, (long)st.st_nlink);

	EXPECT_EQ("newfstatat(link, follow)", fstatat(AT_FDCWD, "link", &st, 0), 0);
	printf("link followed: %s size=%ld\n", kind(st.st_mode), (long)st.st_size);
	EXPECT_EQ("newfstatat(link, NOFOLLOW)", fstatat(AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	printf("link itself: %s size=%ld\n", kind(st.st_mode), (long)st.st_size);
	EXPECT_EQ("lstat(link)", lstat("link", &st), 0);
	CHECK(S_ISLNK(st.st_mode));

	EXPECT_EQ("fstatat(fd, \"\", EMPTY_PATH)", fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	printf("empty path: %s size=%ld\n", kind(st.st_mode), (long)st.st_size);
	EXPECT_ERR("fstatat(fd, \"\", 0)", fstatat(fd, "", &st, 0), ENOENT);
	EXPECT_ERR("fstatat(file fd, \"x\")", fstatat(fd, "x", &st, 0), ENOTDIR);
	EXPECT_ERR("fstatat(bad flags)", fstatat(AT_FDCWD, "file", &st, 0x40000000), EINVAL);
	close(fd);

	EXPECT_EQ("stat(/dev/null)", stat("/dev/null", &st), 0);
	printf("/dev/null: %s major=%u minor=%u\n", kind(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
	EXPECT_EQ("stat(/)", stat("/", &st), 0);
	printf("/: %s\n", kind(st.st_mode));
	EXPECT_ERR("stat(missing)", stat("missing", &st), ENOENT);
	EXPECT_ERR("stat(empty path)", stat("", &st), ENOENT);
	EXPECT_ERR("stat(file/x)", stat("file/x", &st), ENOTDIR);

	struct statx sx;
	memset(&sx, 0, sizeof sx);
	EXPECT_EQ("statx(file, BASIC_STATS)", statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &sx), 0);
	printf("statx: %s size=%llu mode=%o nlink=%u has_type=%d has_size=%d\n", kind(sx.stx_mode),
	       (unsigned long long)sx.stx_size, sx.stx_mode & 07777, sx.stx_nlink,
	       !!(sx.stx_mask & STATX_TYPE), !!(sx.stx_mask & STATX_SIZE));
	EXPECT_EQ("statx(dir)", statx(AT_FDCWD, "dir", 0, STATX_TYPE | STATX_MODE, &sx), 0);
	printf("statx dir: %s\n", kind(sx.stx_mode));
	EXPECT_EQ("statx(link, NOFOLLOW)", statx(AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx), 0);
	printf("statx link: %s\n", kind(sx.stx_mode));
	EXPECT_ERR("statx(reserved mask bit)", statx(AT_FDCWD, "file", 0, 0x80000000u, &sx), EINVAL);
	EXPECT_ERR("statx(missing)", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx), ENOENT);
	return done();
}
