/* dup/dup2/dup3: lowest fd, shared offsets, O_CLOEXEC, errors. */
#include "guest.h"

int main(void) {
	put_file("f", "0123456789");
	int fd = open("f", O_RDONLY);
	CHECK(fd >= 0);
	int d = dup(fd);
	EXPECT_EQ("dup returns next fd", d, fd + 1);
	EXPECT_EQ("dup clears cloexec", fcntl(d, F_GETFD), 0);
	char c;
	CHECK(read(fd, &c, 1) == 1 && read(fd, &c, 1) == 1);
	EXPECT_EQ("offset shared with dup", lseek(d, 0, SEEK_CUR), 2);

	EXPECT_EQ("dup2(fd, 50)", dup2(fd, 50), 50);
	EXPECT_EQ("dup2(fd, fd)", dup2(fd, fd), fd);
	EXPECT_ERR("dup2(closed, 51)", dup2(77, 51), EBADF);
	EXPECT_ERR("dup2(fd, -1)", dup2(fd, -1), EBADF);
	EXPECT_EQ("dup2 over open fd 50", dup2(d, 50), 50);
	EXPECT_EQ("dup3(fd, 60, O_CLOEXEC)", dup3(fd, 60, O_CLOEXEC), 60);
	EXPECT_EQ("F_GETFD(60)", fcntl(60, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ("dup3(fd, 61, 0)", dup3(fd, 61, 0), 61);
	EXPECT_EQ("F_GETFD(61)", fcntl(61, F_GETFD), 0);
	EXPECT_ERR("dup3(fd, fd, 0)", dup3(fd, fd, 0), EINVAL);
	EXPECT_ERR("dup3(fd, 62, bad flags)", dup3(fd, 62, O_APPEND), EINVAL);
	EXPECT_ERR("dup3(bad, 62, 0)", dup3(-5, 62, 0), EBADF);
	EXPECT_ERR("dup(bad)", dup(12345), EBADF);
	EXPECT_ERR("dup2(fd, 1<<30)", dup2(fd, 1 << 30), EBADF);

	/* Closing the original leaves the duplicate working. */
	close(fd);
	EXPECT_EQ("read via dup after close", read(d, &c, 1), 1);
	printf("byte = %c\n", c);
	EXPECT_EQ("lseek(50) sees shared offset", lseek(50, 0, SEEK_CUR), 3);

	/* dup fills the lowest hole. */
	int low = dup(d);
	EXPECT_EQ("dup reuses lowest free fd", low, fd);
	close(low);
	close(d);
	close(50);
	close(60);
	close(61);
	return done();
}
