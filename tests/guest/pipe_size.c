/* Pipe capacity: F_GETPIPE_SZ/F_SETPIPE_SZ (rounding to pages and powers of
 * two, EBUSY when the data would not fit), FIONREAD, capacity actually
 * usable. */
#include "guest.h"
#include <sys/ioctl.h>

static long fill(int fd) {
	static char buf[4096];
	long total = 0;
	for (;;) {
		ssize_t w = write(fd, buf, sizeof buf);
		if (w <= 0)
			break;
		total += w;
	}
	return total;
}

int main(void) {
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	EXPECT_EQ("F_GETPIPE_SZ default", fcntl(p[0], F_GETPIPE_SZ), 65536);
	EXPECT_EQ("F_GETPIPE_SZ on write end", fcntl(p[1], F_GETPIPE_SZ), 65536);
	int n = -1;
	EXPECT_EQ("FIONREAD empty", ioctl(p[0], FIONREAD, &n), 0);
	printf("FIONREAD = %d\n", n);
	CHECK(write(p[1], "0123456789", 10) == 10);
	ioctl(p[0], FIONREAD, &n);
	printf("FIONREAD after 10 bytes = %d\n", n);
	char b[4];
	CHECK(read(p[0], b, 4) == 4);
	ioctl(p[0], FIONREAD, &n);
	printf("FIONREAD after reading 4 = %d\n", n);
	char rest[16];
	CHECK(read(p[0], rest, sizeof rest) == 6);

	EXPECT_EQ("F_SETPIPE_SZ(4096)", fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	EXPECT_EQ("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ), 4096);
	printf("4096-byte pipe holds %ld bytes\n", fill(p[1]));
	CHECK(read(p[0], rest, sizeof rest) == 16);
	/* Odd sizes round up to a power-of-two number of pages. */
	EXPECT_EQ("F_SETPIPE_SZ(1)", fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
	EXPECT_EQ("F_SETPIPE_SZ(5000)", fcntl(p[1], F_SETPIPE_SZ, 5000), 8192);
	EXPECT_EQ("F_SETPIPE_SZ(100000)", fcntl(p[1], F_SETPIPE_SZ, 100000), 131072);
	long cap = fill(p[1]);
	printf("131072-byte pipe took at least 120 KiB more = %d\n", cap >= 120 * 1024);
	EXPECT_ERR("F_SETPIPE_SZ(8192) with more data than that", fcntl(p[1], F_SETPIPE_SZ, 8192), EBUSY);
	EXPECT_ERR("F_SETPIPE_SZ(-1)", fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL);
	EXPECT_ERR("F_GETPIPE_SZ on a regular file", fcntl(open("/proc/self/exe", O_RDONLY), F_GETPIPE_SZ), EBADF);
	close(p[0]);
	close(p[1]);

	CHECK(pipe(p) == 0);
	int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY);
	char mx[32] = {0};
	if (fd >= 0 && read(fd, mx, sizeof mx - 1) > 0)
		printf("pipe-max-size = %ld\n", atol(mx));
	EXPECT_EQ("F_SETPIPE_SZ(pipe-max-size)", fcntl(p[1], F_SETPIPE_SZ, atol(mx)), atol(mx));
	return done();
}
