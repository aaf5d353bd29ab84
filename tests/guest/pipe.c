/* pipe2 within one process: data, EOF, O_CLOEXEC/O_NONBLOCK, capacity. */
#include "guest.h"
#include <signal.h>

int main(void) {
	int p[2];
	EXPECT_EQ("pipe2(O_CLOEXEC)", pipe2(p, O_CLOEXEC), 0);
	EXPECT_EQ("F_GETFD read end", fcntl(p[0], F_GETFD), FD_CLOEXEC);
	printf("read end accmode O_RDONLY = %d, write end O_WRONLY = %d\n", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY,
	       (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
	struct stat st;
	CHECK(fstat(p[0], &st) == 0);
	printf("fstat is fifo = %d\n", S_ISFIFO(st.st_mode));
	EXPECT_EQ("write(hello)", write(p[1], "hello", 5), 5);
	char buf[16] = {0};
	EXPECT_EQ("read(3)", read(p[0], buf, 3), 3);
	EXPECT_EQ("read(rest)", read(p[0], buf + 3, 10), 2);
	printf("data = %s\n", buf);
	EXPECT_ERR("write(read end)", write(p[0], "x", 1), EBADF);
	EXPECT_ERR("read(write end)", read(p[1], buf, 1), EBADF);
	close(p[1]);
	EXPECT_EQ("read after writer closed = EOF", read(p[0], buf, 1), 0);
	close(p[0]);

	EXPECT_EQ("pipe2(O_NONBLOCK)", pipe2(p, O_NONBLOCK), 0);
	EXPECT_ERR("read(empty)", read(p[0], buf, 1), EAGAIN);
	long cap = fcntl(p[1], F_GETPIPE_SZ);
	printf("F_GETPIPE_SZ = %ld\n", cap);
	static char big[1 << 17];
	long total = 0, n;
	while ((n = write(p[1], big, sizeof big)) > 0)
		total += n;
	printf("filled = %ld (== capacity %d), then errno %s\n", total, total == cap, errname(errno));
	EXPECT_EQ("F_SETPIPE_SZ(8192)", fcntl(p[1], F_SETPIPE_SZ, 8192) >= 0 ? 0 : -1, -1);
	close(p[0]);
	/* Writing with no reader: EPIPE (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERR("write(no reader)", write(p[1], "x", 1), EPIPE);
	close(p[1]);
	EXPECT_ERR("pipe2(bad flags)", pipe2(p, O_TRUNC), EINVAL);
	EXPECT_EQ("pipe()", pipe(p), 0);
	EXPECT_EQ("F_SETPIPE_SZ(1 MiB)", fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	EXPECT_EQ("F_GETPIPE_SZ after set", fcntl(p[0], F_GETPIPE_SZ), 1 << 20);
	return done();
}
