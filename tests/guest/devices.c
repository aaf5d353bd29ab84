/* /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/random. */
#include "guest.h"

int main(void) {
	char buf[256];
	int fd = open("/dev/null", O_RDWR);
	EXPECT_OK("open(/dev/null)", fd);
	EXPECT_EQ("read(/dev/null)", read(fd, buf, sizeof buf), 0);
	EXPECT_EQ("write(/dev/null, 256)", write(fd, buf, sizeof buf), 256);
	EXPECT_EQ("lseek(/dev/null)", lseek(fd, 100, SEEK_SET), 0);
	close(fd);

	fd = open("/dev/zero", O_RDWR);
	EXPECT_OK("open(/dev/zero)", fd);
	memset(buf, 'x', sizeof buf);
	EXPECT_EQ("read(/dev/zero)", read(fd, buf, sizeof buf), 256);
	int zero = 1;
	for (size_t i = 0; i < sizeof buf; i++)
		zero &= buf[i] == 0;
	printf("/dev/zero all zero = %d\n", zero);
	EXPECT_EQ("write(/dev/zero)", write(fd, "abc", 3), 3);
	close(fd);

	fd = open("/dev/full", O_RDWR);
	EXPECT_OK("open(/dev/full)", fd);
	EXPECT_ERR("write(/dev/full)", write(fd, "abc", 3), ENOSPC);
	memset(buf, 'x', sizeof buf);
	EXPECT_EQ("read(/dev/full)", read(fd, buf, 16), 16);
	printf("/dev/full reads zero = %d\n", buf[0] == 0 && buf[15] == 0);
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	EXPECT_OK("open(/dev/urandom)", fd);
	unsigned char r1[64] = {0}, r2[64] = {0};
	EXPECT_EQ("read(/dev/urandom)", read(fd, r1, sizeof r1), 64);
	EXPECT_EQ("read(/dev/urandom) again", read(fd, r2, sizeof r2), 64);
	int nonzero = 0;
	for (size_t i = 0; i < sizeof r1; i++)
		nonzero += r1[i] != 0;
	printf("urandom not all zero = %d, two reads differ = %d\n", nonzero > 0, memcmp(r1, r2, sizeof r1) != 0);
	close(fd);
	fd = open("/dev/random", O_RDONLY);
	EXPECT_EQ("read(/dev/random, 16)", read(fd, r1, 16), 16);
	close(fd);

	struct stat st;
	const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/dev/random"};
	for (int i = 0; i < 5; i++) {
		CHECK(stat(devs[i], &st) == 0);
		printf("%s: chardev = %d mode = %o\n", devs[i], S_ISCHR(st.st_mode), st.st_mode & 0777);
	}
	return done();
}
