/* Pipes between processes: a blocking read waits for a writer in another
 * process, EOF once every write end is closed (including inherited copies),
 * O_NONBLOCK gives EAGAIN, a blocked writer resumes when a reader drains,
 * O_DIRECT packet mode keeps write boundaries. */
#include "guest.h"
#include <sys/wait.h>

int main(void) {
	int p[2], go[2];
	CHECK(pipe(p) == 0 && pipe(go) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		close(go[1]);
		char x;
		/* Write only after the parent says it is about to block. */
		if (read(go[0], &x, 1) != 1)
			_exit(90);
		if (write(p[1], "from child", 10) != 10)
			_exit(91);
		_exit(0);
	}
	close(p[1]);
	close(go[0]);
	CHECK(write(go[1], "g", 1) == 1);
	char buf[64] = {0};
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("blocking read got %zd bytes: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
	EXPECT_EQ("read after writer exited (EOF)", read(p[0], buf, sizeof buf), 0);
	printf("writer: %s\n", guest_wait(c));
	close(p[0]);

	/* A copy of the write end held by a child keeps EOF away. */
	CHECK(pipe(p) == 0);
	int hold[2];
	CHECK(pipe(hold) == 0);
	c = fork();
	if (c == 0) {
		close(p[0]);
		close(hold[1]);
		char x;
		if (read(hold[0], &x, 1) < 0)
			_exit(1);
		_exit(0); /* closes its p[1] copy */
	}
	close(hold[0]);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	EXPECT_ERR("read with a child still holding the write end (O_NONBLOCK)", read(p[0], buf, 1), EAGAIN);
	close(hold[1]);
	guest_wait(c);
	EXPECT_EQ("read after the child exits (EOF)", read(p[0], buf, 1), 0);
	close(p[0]);

	/* Full pipe: O_NONBLOCK write fails with EAGAIN; a blocking writer in a
	 * child completes once we drain. */
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	static char big[1 << 16];
	long total = 0;
	for (;;) {
		ssize_t w = write(p[1], big, 4096);
		if (w < 0)
			break;
		total += w;
	}
	printf("filled nonblocking pipe with %ld bytes, then %s\n", total, errname(errno));
	EXPECT_ERR("write(1) to a full nonblocking pipe", write(p[1], "x", 1), EAGAIN);
	c = fork();
	if (c == 0) {
		int fl = fcntl(p[1], F_GETFL);
		fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK);
		_exit(write(p[1], big, 10000) == 10000 ? 0 : 1);
	}
	long drained = 0;
	int fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl & ~O_NONBLOCK);
	while (drained < total + 10000) {
		ssize_t r = read(p[0], big, sizeof big);
		if (r <= 0)
			break;
		drained += r;
	}
	printf("drained %ld bytes (capacity + 10000)\n", drained - total);
	printf("blocked writer: %s\n", guest_wait(c));
	close(p[0]);
	close(p[1]);

	/* Packet mode. */
	CHECK(pipe2(p, O_DIRECT) == 0);
	CHECK(write(p[1], "one", 3) == 3 && write(p[1], "two!", 4) == 4);
	EXPECT_EQ("O_DIRECT read(64) returns one packet", read(p[0], buf, 64), 3);
	EXPECT_EQ("next packet", read(p[0], buf, 64), 4);
	CHECK(write(p[1], "abcdef", 6) == 6);
	EXPECT_EQ("short read of a packet", read(p[0], buf, 2), 2);
	fcntl(p[0], F_SETFL, O_NONBLOCK | O_DIRECT);
	EXPECT_ERR("rest of the packet is discarded", read(p[0], buf, 64), EAGAIN);
	return done();
}
