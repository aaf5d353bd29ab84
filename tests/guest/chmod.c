/* chmod/fchmod/fchmodat/umask/chown as root. */
#include "guest.h"

static void mode(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("  %s: -1 %s\n", path, errname(errno));
		return;
	}
	printf("  %s: mode %o uid %u gid %u\n", path, st.st_mode & 07777, st.st_uid, st.st_gid);
}

int main(void) {
	mode_t old = umask(022);
	(void)old;
	EXPECT_EQ("umask(027) returns previous", umask(027), 022);
	int fd = open("f", O_CREAT | O_WRONLY, 0777);
	mode("f");
	CHECK(mkdir("d", 0777) == 0);
	mode("d");
	umask(0);
	EXPECT_EQ("chmod(f, 0600)", chmod("f", 0600), 0);
	mode("f");
	EXPECT_EQ("fchmod(f, 04755)", fchmod(fd, 04755), 0);
	mode("f");
	EXPECT_EQ("fchmodat(d, 01777)", fchmodat(AT_FDCWD, "d", 01777, 0), 0);
	mode("d");
	CHECK(symlink("f", "l") == 0);
	EXPECT_EQ("chmod(l) changes target", chmod("l", 0640), 0);
	mode("f");
	EXPECT_ERR("fchmodat(NOFOLLOW)", fchmodat(AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
	EXPECT_ERR("chmod(missing)", chmod("missing", 0600), ENOENT);
	EXPECT_ERR("fchmod(bad fd)", fchmod(-1, 0600), EBADF);

	EXPECT_EQ("chown(f, 1000, 2000)", chown("f", 1000, 2000), 0);
	mode("f");
	EXPECT_EQ("fchown(-1, 3000)", fchown(fd, -1, 3000), 0);
	mode("f");
	EXPECT_EQ("lchown(l, 5, 5)", lchown("l", 5, 5), 0);
	mode("f");
	struct stat st;
	CHECK(lstat("l", &st) == 0);
	printf("  symlink owner = %u/%u\n", st.st_uid, st.st_gid);
	/* Writing to a setuid file as root keeps the bit? (root: yes for chown-cleared check) */
	EXPECT_EQ("chmod(f, 06755)", chmod("f", 06755), 0);
	EXPECT_EQ("chown(f, 0, 0) clears setuid", chown("f", 0, 0), 0);
	mode("f");
	close(fd);
	return done();
}
