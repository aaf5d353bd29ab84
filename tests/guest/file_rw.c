/* openat/read/write/pread64/pwrite64/readv/writev/close on a scratch file. */
#include "guest.h"
#include <sys/uio.h>

int main(void) {
	int fd = EXPECT_OK("openat(O_CREAT|O_RDWR)", openat(AT_FDCWD, "data.txt", O_CREAT | O_RDWR | O_TRUNC, 0644));
	EXPECT_EQ("write(hello world)", write(fd, "hello world", 11), 11);
	EXPECT_EQ("lseek(cur) after write", lseek(fd, 0, SEEK_CUR), 11);
	EXPECT_EQ("read at eof", read(fd, (char[4]){0}, 4), 0);

	char buf[32] = {0};
	EXPECT_EQ("pread64(5 bytes at 6)", pread(fd, buf, 5, 6), 5);
	printf("pread data = %s\n", buf);
	EXPECT_EQ("lseek(cur) unchanged by pread", lseek(fd, 0, SEEK_CUR), 11);
	EXPECT_EQ("pwrite64(WORLD at 6)", pwrite(fd, "WORLD", 5, 6), 5);
	EXPECT_EQ("lseek(cur) unchanged by pwrite", lseek(fd, 0, SEEK_CUR), 11);
	EXPECT_EQ("pread past eof", pread(fd, buf, 5, 100), 0);
	EXPECT_ERR("pread negative offset", pread(fd, buf, 5, -1), EINVAL);

	struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	EXPECT_EQ("writev(3 iovecs)", writev(fd, wv, 3), 6);
	EXPECT_EQ("lseek(0, SET)", lseek(fd, 0, SEEK_SET), 0);
	char a[5] = {0}, b[6] = {0}, c[16] = {0};
	struct iovec rv[3] = {{a, 4}, {b, 5}, {c, 15}};
	EXPECT_EQ("readv(3 iovecs)", readv(fd, rv, 3), 17);
	printf("readv parts = [%s][%s][%s]\n", a, b, c);
	EXPECT_EQ("readv at eof", readv(fd, rv, 3), 0);
	EXPECT_EQ("preadv at 2", preadv(fd, rv, 1, 2), 4);
	printf("preadv part = [%s]\n", a);
	EXPECT_EQ("pwritev at 0", pwritev(fd, wv, 1, 0), 2);

	EXPECT_EQ("close", close(fd), 0);
	EXPECT_ERR("close again", close(fd), EBADF);

	fd = EXPECT_OK("open(O_RDONLY)", open("data.txt", O_RDONLY));
	memset(buf, 0, sizeof buf);
	EXPECT_EQ("read whole file", read(fd, buf, sizeof buf - 1), 17);
	printf("content = %s\n", buf);
	EXPECT_ERR("write to O_RDONLY fd", write(fd, "x", 1), EBADF);
	EXPECT_ERR("write 0 bytes to O_RDONLY fd", write(fd, "x", 0), EBADF);
	close(fd);

	fd = EXPECT_OK("open(O_WRONLY)", open("data.txt", O_WRONLY));
	EXPECT_ERR("read from O_WRONLY fd", read(fd, buf, 1), EBADF);
	close(fd);

	/* A larger transfer crossing page boundaries. */
	static char big[3 * 4096 + 123], back[sizeof big];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7 + 3);
	fd = EXPECT_OK("open big", open("big.bin", O_CREAT | O_RDWR | O_TRUNC, 0600));
	EXPECT_EQ("write big", write(fd, big, sizeof big), (long)sizeof big);
	EXPECT_EQ("pread big", pread(fd, back, sizeof back, 0), (long)sizeof back);
	CHECK(memcmp(big, back, sizeof big) == 0);
	printf("big round trip = %s\n", memcmp(big, back, sizeof big) == 0 ? "equal" : "different");
	close(fd);
	return done();
}
