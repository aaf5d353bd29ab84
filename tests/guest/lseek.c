/* lseek: SEEK_SET/CUR/END, negative results, bad whence, pipes. */
#include "guest.h"

int main(void) {
	put_file("f", "0123456789");
	int fd = open("f", O_RDWR);
	CHECK(fd >= 0);
	EXPECT_EQ("lseek(3, SET)", lseek(fd, 3, SEEK_SET), 3);
	EXPECT_EQ("lseek(2, CUR)", lseek(fd, 2, SEEK_CUR), 5);
	char c = 0;
	EXPECT_EQ("read 1", read(fd, &c, 1), 1);
	printf("byte at 5 = %c\n", c);
	EXPECT_EQ("lseek(0, END)", lseek(fd, 0, SEEK_END), 10);
	EXPECT_EQ("lseek(-4, END)", lseek(fd, -4, SEEK_END), 6);
	EXPECT_EQ("lseek(100, END)", lseek(fd, 100, SEEK_END), 110);
	EXPECT_ERR("lseek(-1, SET)", lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_EQ("position after failed lseek", lseek(fd, 0, SEEK_CUR), 110);
	EXPECT_ERR("lseek(-200, CUR)", lseek(fd, -200, SEEK_CUR), EINVAL);
	EXPECT_ERR("lseek(-11, END)", lseek(fd, -11, SEEK_END), EINVAL);
	EXPECT_ERR("lseek(whence 99)", syscall(SYS_lseek, fd, 0, 99), EINVAL);
	EXPECT_ERR("lseek(whence -1)", syscall(SYS_lseek, fd, 0, -1), EINVAL);
	EXPECT_EQ("lseek(0, SET)", lseek(fd, 0, SEEK_SET), 0);
	EXPECT_ERR("lseek(bad fd)", lseek(-1, 0, SEEK_SET), EBADF);
	EXPECT_ERR("lseek(closed fd 999)", lseek(999, 0, SEEK_SET), EBADF);
	close(fd);

	int p[2];
	CHECK(pipe(p) == 0);
	EXPECT_ERR("lseek(pipe)", lseek(p[0], 0, SEEK_SET), ESPIPE);
	close(p[0]);
	close(p[1]);

	int d = open(".", O_RDONLY | O_DIRECTORY);
	EXPECT_EQ("lseek(dir, 0, SET)", lseek(d, 0, SEEK_SET), 0);
	close(d);
	return done();
}
