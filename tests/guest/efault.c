/* Garbage user pointers give EFAULT, never a crash. */
#include "guest.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>

#define BAD1 ((void *)1)
#define BADK ((void *)0xffffffffffff0000ul)
#define BADNC ((void *)0x0000800000000000ul)

int main(void) {
	put_file("f", "some file content");
	int fd = open("f", O_RDWR);
	void *bad[] = {BAD1, BADK, BADNC, NULL};
	const char *names[] = {"(void*)1", "0xffffffffffff0000", "0x800000000000", "NULL"};
	for (int i = 0; i < 4; i++) {
		char label[96];
		snprintf(label, sizeof label, "read(file, %s, 8)", names[i]);
		lseek(fd, 0, SEEK_SET);
		EXPECT_ERR(label, syscall(SYS_read, fd, bad[i], 8), EFAULT);
		snprintf(label, sizeof label, "write(file, %s, 8)", names[i]);
		EXPECT_ERR(label, syscall(SYS_write, fd, bad[i], 8), EFAULT);
		snprintf(label, sizeof label, "pread64(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_pread64, fd, bad[i], 8, 0), EFAULT);
		snprintf(label, sizeof label, "openat(path %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_openat, AT_FDCWD, bad[i], O_RDONLY), EFAULT);
		snprintf(label, sizeof label, "newfstatat(path %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_newfstatat, AT_FDCWD, bad[i], &(struct stat){0}, 0), EFAULT);
		snprintf(label, sizeof label, "newfstatat(statbuf %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_newfstatat, AT_FDCWD, "f", bad[i], 0), EFAULT);
		snprintf(label, sizeof label, "fstat(statbuf %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_fstat, fd, bad[i]), EFAULT);
		snprintf(label, sizeof label, "readv(iov %s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_readv, fd, bad[i], 1), EFAULT);
		snprintf(label, sizeof label, "getcwd(%s)", names[i]);
		EXPECT_ERR(label, syscall(SYS_getcwd, bad[i], 100), EFAULT);
	}
	struct iovec iov = {BAD1, 8};
	lseek(fd, 0, SEEK_SET);
	EXPECT_ERR("readv(iov_base bad)", readv(fd, &iov, 1), EFAULT);
	EXPECT_ERR("writev(iov_base bad)", writev(fd, &iov, 1), EFAULT);
	EXPECT_ERR("mkdir(bad path)", syscall(SYS_mkdir, BAD1, 0755), EFAULT);
	EXPECT_ERR("unlink(bad path)", syscall(SYS_unlink, BADK), EFAULT);
	EXPECT_ERR("chdir(bad path)", syscall(SYS_chdir, BAD1), EFAULT);
	EXPECT_ERR("readlinkat(bad buf)", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", BAD1, 100), EFAULT);
	EXPECT_ERR("getdents64(bad buf)", syscall(SYS_getdents64, open(".", O_RDONLY), BAD1, 4096), EFAULT);
	EXPECT_ERR("pipe2(bad pointer)", syscall(SYS_pipe2, BAD1, 0), EFAULT);
	EXPECT_ERR("clock_gettime(bad)", syscall(SYS_clock_gettime, CLOCK_REALTIME, BADK), EFAULT);
	EXPECT_ERR("nanosleep(bad)", syscall(SYS_nanosleep, BAD1, NULL), EFAULT);
	EXPECT_ERR("uname(bad)", syscall(SYS_uname, BADK), EFAULT);
	EXPECT_ERR("getrlimit(bad)", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD1), EFAULT);

	/* A path running off the end of a mapping. */
	long pg = 4096;
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + pg, pg);
	memset(m, 'a', pg);
	EXPECT_ERR("open(path without NUL before unmapped page)",
	           syscall(SYS_openat, AT_FDCWD, m + pg - 100, O_RDONLY), EFAULT);
	EXPECT_ERR("read(into unmapped page)", read(fd, m + pg, 4), EFAULT);

	/* A huge length into a small valid buffer that ends where the mapping
	 * ends: Linux copies what fits and returns a short count, or fails with
	 * EFAULT when nothing was copied; both are correct, garbage is not. */
	lseek(fd, 0, SEEK_SET);
	errno = 0;
	long r = read(fd, m + pg - 8, 1L << 30);
	printf("read(huge len past mapping end) = %s\n",
	       (r == -1 && errno == EFAULT) || (r > 0 && r <= 8) ? "short count or EFAULT" : "wrong");
	CHECK((r == -1 && errno == EFAULT) || (r > 0 && r <= 8));
	errno = 0;
	r = write(fd, m + pg - 8, 1L << 30);
	printf("write(huge len past mapping end) = %s\n",
	       (r == -1 && errno == EFAULT) || (r > 0 && r <= 8) ? "short count or EFAULT" : "wrong");
	CHECK((r == -1 && errno == EFAULT) || (r > 0 && r <= 8));
	EXPECT_ERR("read(huge len, buffer starts unmapped)", read(fd, m + pg, 1L << 30), EFAULT);
	EXPECT_ERR("read(/dev/zero, huge len, buffer starts unmapped)",
	           read(open("/dev/zero", O_RDONLY), m + pg, 1L << 30), EFAULT);

	/* The fd and its offset are unaffected by the failures. */
	put_file("f", "some file content");
	lseek(fd, 0, SEEK_SET);
	char buf[5] = {0};
	EXPECT_EQ("read after faults", read(fd, buf, 4), 4);
	printf("content = %s\n", buf);
	return done();
}
