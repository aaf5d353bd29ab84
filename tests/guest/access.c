/* faccessat/faccessat2/access: modes and flags (run as root). */
#include "guest.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

int main(void) {
	put_file("rw", "x");
	put_file("ro", "x");
	put_file("exe", "x");
	CHECK(chmod("ro", 0444) == 0);
	CHECK(chmod("exe", 0755) == 0);
	CHECK(chmod("rw", 0600) == 0);
	CHECK(symlink("missing", "dangling") == 0);
	CHECK(mkdir("dir", 0700) == 0);

	EXPECT_EQ("access(rw, F_OK)", access("rw", F_OK), 0);
	EXPECT_EQ("access(rw, R_OK|W_OK)", access("rw", R_OK | W_OK), 0);
	EXPECT_ERR("access(rw, X_OK)", access("rw", X_OK), EACCES);
	EXPECT_EQ("access(exe, X_OK)", access("exe", X_OK), 0);
	EXPECT_EQ("access(dir, X_OK)", access("dir", X_OK), 0);
	EXPECT_ERR("access(missing)", access("missing", F_OK), ENOENT);
	EXPECT_ERR("access(dangling)", access("dangling", F_OK), ENOENT);
	EXPECT_ERR("access(bad mode)", access("rw", 0x40), EINVAL);

	EXPECT_EQ("faccessat(AT_FDCWD, exe, X_OK)", syscall(SYS_faccessat, AT_FDCWD, "exe", X_OK), 0);
	EXPECT_EQ("faccessat2(exe, X_OK, 0)", syscall(SYS_faccessat2, AT_FDCWD, "exe", X_OK, 0), 0);
	EXPECT_EQ("faccessat2(rw, R_OK, AT_EACCESS)", syscall(SYS_faccessat2, AT_FDCWD, "rw", R_OK, AT_EACCESS), 0);
	EXPECT_EQ("faccessat2(dangling, F_OK, NOFOLLOW)",
	          syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_ERR("faccessat2(dangling, F_OK, 0)", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	EXPECT_ERR("faccessat2(bad flags)", syscall(SYS_faccessat2, AT_FDCWD, "rw", F_OK, 0x1), EINVAL);
	int fd = open("rw", O_RDONLY);
	EXPECT_EQ("faccessat2(fd, \"\", EMPTY_PATH)", syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH), 0);
	EXPECT_ERR("faccessat2(file fd, x)", syscall(SYS_faccessat2, fd, "x", R_OK, 0), ENOTDIR);
	close(fd);
	int d = open("dir", O_RDONLY | O_DIRECTORY);
	put_file("dir/inner", "y");
	EXPECT_EQ("faccessat2(dirfd, inner)", syscall(SYS_faccessat2, d, "inner", W_OK, 0), 0);
	close(d);
	return done();
}
