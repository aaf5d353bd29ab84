/* ioctl on non-terminals: TCGETS -> ENOTTY; FIOCLEX/FIONCLEX; FIONREAD. */
#include "guest.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
	put_file("f", "0123456789");
	int fd = open("f", O_RDONLY);
	struct termios t;
	EXPECT_ERR("ioctl(file, TCGETS)", ioctl(fd, TCGETS, &t), ENOTTY);
	EXPECT_ERR("isatty(file)", isatty(fd) ? 0 : -1, ENOTTY);
	int null = open("/dev/null", O_RDWR);
	EXPECT_ERR("ioctl(/dev/null, TCGETS)", ioctl(null, TCGETS, &t), ENOTTY);
	EXPECT_ERR("ioctl(/dev/null, TIOCGWINSZ)", ioctl(null, TIOCGWINSZ, &(struct winsize){0}), ENOTTY);
	int p[2];
	CHECK(pipe(p) == 0);
	EXPECT_ERR("ioctl(pipe, TCGETS)", ioctl(p[0], TCGETS, &t), ENOTTY);
	CHECK(write(p[1], "abc", 3) == 3);
	int avail = -1;
	EXPECT_EQ("ioctl(pipe, FIONREAD)", ioctl(p[0], FIONREAD, &avail), 0);
	printf("pipe bytes available = %d\n", avail);
	avail = -1;
	CHECK(lseek(fd, 4, SEEK_SET) == 4);
	EXPECT_EQ("ioctl(file, FIONREAD)", ioctl(fd, FIONREAD, &avail), 0);
	printf("file bytes available = %d\n", avail);

	EXPECT_EQ("ioctl(FIOCLEX)", ioctl(fd, FIOCLEX), 0);
	EXPECT_EQ("F_GETFD after FIOCLEX", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ("ioctl(FIONCLEX)", ioctl(fd, FIONCLEX), 0);
	EXPECT_EQ("F_GETFD after FIONCLEX", fcntl(fd, F_GETFD), 0);
	int on = 1;
	EXPECT_EQ("ioctl(pipe, FIONBIO on)", ioctl(p[0], FIONBIO, &on), 0);
	printf("O_NONBLOCK now = %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	char buf[8];
	CHECK(read(p[0], buf, sizeof buf) == 3);
	EXPECT_ERR("read(empty nonblocking pipe)", read(p[0], buf, sizeof buf), EAGAIN);

	EXPECT_ERR("ioctl(bad fd)", ioctl(-1, TCGETS, &t), EBADF);
	EXPECT_ERR("ioctl(file, unknown request)", ioctl(fd, 0x12345678, &t), ENOTTY);
	EXPECT_ERR("ioctl(file, FIONREAD, bad pointer)", ioctl(fd, FIONREAD, (void *)1), EFAULT);
	return done();
}
