/* Negative, huge and closed fds give EBADF. */
#include "guest.h"
#include <sys/mman.h>

int main(void) {
	long fds[] = {-1, -100, 1 << 20, 0x7fffffff, 0xffffffffL, 1000};
	const char *names[] = {"-1", "-100", "1<<20", "INT_MAX", "0xffffffff", "1000 (closed)"};
	char buf[16];
	struct stat st;
	for (int i = 0; i < 6; i++) {
		char label[64];
		long fd = fds[i];
		snprintf(label, sizeof label, "read(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_read, fd, buf, 1), EBADF);
		snprintf(label, sizeof label, "write(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_write, fd, "x", 1), EBADF);
		snprintf(label, sizeof label, "close(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_close, fd), EBADF);
		snprintf(label, sizeof label, "fstat(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_fstat, fd, &st), EBADF);
		snprintf(label, sizeof label, "lseek(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_lseek, fd, 0, SEEK_SET), EBADF);
		snprintf(label, sizeof label, "fcntl(%s, F_GETFL)", names[i]);
		EXPECT_ERR(label, syscall(SYS_fcntl, fd, F_GETFL), EBADF);
		snprintf(label, sizeof label, "dup(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_dup, fd), EBADF);
		snprintf(label, sizeof label, "fchdir(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_fchdir, fd), EBADF);
		snprintf(label, sizeof label, "ftruncate(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_ftruncate, fd, 0), EBADF);
		snprintf(label, sizeof label, "getdents64(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_getdents64, fd, buf, sizeof buf), EBADF);
		snprintf(label, sizeof label, "mmap(fd %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
	}
	/* dirfd-relative calls with a bad dirfd but a relative path. */
	EXPECT_ERR("openat(-5, rel)", syscall(SYS_openat, -5, "x", O_RDONLY), EBADF);
	EXPECT_ERR("newfstatat(1000, rel)", syscall(SYS_newfstatat, 1000, "x", &st, 0), EBADF);
	EXPECT_ERR("mkdirat(1000, rel)", syscall(SYS_mkdirat, 1000, "x", 0755), EBADF);
	/* AT_FDCWD is -100: it must not be treated as a bad fd there... */
	EXPECT_ERR("openat(AT_FDCWD, missing)", syscall(SYS_openat, AT_FDCWD, "missing", O_RDONLY), ENOENT);
	/* ...but it is not an fd for plain fd calls (checked above as "-100"). */
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	EXPECT_ERR("read(just closed)", read(fd, buf, 1), EBADF);
	int pfd = open(".", O_PATH);
	EXPECT_ERR("read(O_PATH fd)", read(pfd, buf, 1), EBADF);
	EXPECT_ERR("fchdir-free check: write(O_PATH fd)", write(pfd, "x", 1), EBADF);
	close(pfd);
	return done();
}
