/* Sparse files: writes past EOF leave zero-filled holes. */
#include "guest.h"

int main(void) {
	int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	EXPECT_EQ("lseek(1 MiB)", lseek(fd, 1 << 20, SEEK_SET), 1 << 20);
	EXPECT_EQ("write at 1 MiB", write(fd, "end", 3), 3);
	EXPECT_EQ("pwrite at 8 KiB", pwrite(fd, "mid", 3, 8192), 3);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("size = %ld\n", (long)st.st_size);

	static char buf[1 << 16];
	EXPECT_EQ("pread 64 KiB at 0", pread(fd, buf, sizeof buf, 0), (long)sizeof buf);
	long nonzero = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		nonzero += buf[i] != 0;
	printf("nonzero bytes in first 64 KiB = %ld\n", nonzero);
	printf("bytes at 8192 = %.3s\n", buf + 8192);
	EXPECT_EQ("pread spanning the end", pread(fd, buf, 100, (1 << 20) - 10), 13);
	printf("tail = %.3s\n", buf + 10);
	for (int i = 0; i < 10; i++)
		CHECK(buf[i] == 0);

	/* Shrink into the hole, then grow again: the old data is gone. */
	CHECK(ftruncate(fd, 8193) == 0);
	CHECK(ftruncate(fd, 20000) == 0);
	memset(buf, 'x', 16);
	EXPECT_EQ("pread across truncation point", pread(fd, buf, 4, 8192), 4);
	printf("after shrink+grow = %c %02x %02x %02x\n", buf[0], buf[1], buf[2], buf[3]);
	close(fd);
	return done();
}
