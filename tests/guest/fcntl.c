/* fcntl: F_GETFD/F_SETFD/F_GETFL/F_SETFL/F_DUPFD/F_DUPFD_CLOEXEC. */
#include "guest.h"

int main(void) {
	put_file("f", "abc");
	int fd = open("f", O_RDWR);
	CHECK(fd >= 0);
	EXPECT_EQ("F_GETFD (fresh)", fcntl(fd, F_GETFD), 0);
	EXPECT_EQ("F_SETFD(FD_CLOEXEC)", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ("F_GETFD after set", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ("F_SETFD(0)", fcntl(fd, F_SETFD, 0), 0);
	EXPECT_EQ("F_GETFD after clear", fcntl(fd, F_GETFD), 0);

	int fl = fcntl(fd, F_GETFL);
	printf("F_GETFL accmode = %s\n", (fl & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other");
	printf("F_GETFL append = %d nonblock = %d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
	EXPECT_EQ("F_SETFL(O_APPEND|O_NONBLOCK)", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK), 0);
	fl = fcntl(fd, F_GETFL);
	printf("after F_SETFL: accmode rdwr = %d append = %d nonblock = %d\n", (fl & O_ACCMODE) == O_RDWR,
	       !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
	/* F_SETFL ignores the access mode and creation flags. */
	EXPECT_EQ("F_SETFL(O_RDONLY|O_CREAT|O_TRUNC)", fcntl(fd, F_SETFL, O_RDONLY | O_CREAT | O_TRUNC), 0);
	fl = fcntl(fd, F_GETFL);
	printf("after F_SETFL(O_RDONLY): accmode rdwr = %d append = %d\n", (fl & O_ACCMODE) == O_RDWR,
	       !!(fl & O_APPEND));
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == 3);
	printf("file size still = %ld\n", (long)st.st_size);

	/* O_APPEND set through F_SETFL takes effect. */
	CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0);
	lseek(fd, 0, SEEK_SET);
	CHECK(write(fd, "d", 1) == 1);
	CHECK(fstat(fd, &st) == 0);
	printf("size after append write = %ld\n", (long)st.st_size);

	int d1 = fcntl(fd, F_DUPFD, 10);
	printf("F_DUPFD(10) >= 10: %d\n", d1 >= 10);
	EXPECT_EQ("F_GETFD of F_DUPFD", fcntl(d1, F_GETFD), 0);
	int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	printf("F_DUPFD_CLOEXEC(10) > first: %d\n", d2 > d1);
	EXPECT_EQ("F_GETFD of F_DUPFD_CLOEXEC", fcntl(d2, F_GETFD), FD_CLOEXEC);
	/* Duplicates share the status flags. */
	CHECK(fcntl(d1, F_SETFL, O_NONBLOCK) == 0);
	printf("flags shared with dup: nonblock = %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));

	EXPECT_ERR("F_DUPFD(-1)", fcntl(fd, F_DUPFD, -1), EINVAL);
	EXPECT_ERR("F_DUPFD(1<<30)", fcntl(fd, F_DUPFD, 1 << 30), EINVAL);
	EXPECT_ERR("F_GETFD(bad fd)", fcntl(-1, F_GETFD), EBADF);
	EXPECT_ERR("fcntl(bad cmd)", fcntl(fd, 99999), EINVAL);
	close(d1);
	close(d2);
	close(fd);
	EXPECT_ERR("F_GETFL(closed)", fcntl(fd, F_GETFL), EBADF);

	int c = open("f", O_RDONLY | O_CLOEXEC);
	EXPECT_EQ("F_GETFD of O_CLOEXEC open", fcntl(c, F_GETFD), FD_CLOEXEC);
	close(c);
	return done();
}
