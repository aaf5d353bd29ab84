/* poll/select/epoll readiness on pipes: empty, POLLIN after a write, POLLOUT
 * until full, POLLHUP after the last writer closes (with and without data
 * left), POLLERR on the write end after the reader closes; a poll blocked in
 * one process is woken by a write from another. */
#include "guest.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

static void show(const char *label, int fd, short events) {
	struct pollfd pf = {.fd = fd, .events = events};
	int r = poll(&pf, 1, 0);
	printf("%s: poll = %d, revents:%s%s%s%s\n", label, r, pf.revents & POLLIN ? " IN" : "",
	       pf.revents & POLLOUT ? " OUT" : "", pf.revents & POLLHUP ? " HUP" : "", pf.revents & POLLERR ? " ERR" : "");
}

int main(void) {
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	show("empty read end", p[0], POLLIN);
	show("empty write end", p[1], POLLOUT);
	CHECK(write(p[1], "x", 1) == 1);
	show("read end after write", p[0], POLLIN);
	static char buf[1 << 16];
	while (write(p[1], buf, sizeof buf) > 0)
		;
	show("full write end", p[1], POLLOUT);
	while (read(p[0], buf, sizeof buf) > 0)
		;
	show("drained write end", p[1], POLLOUT);
	CHECK(write(p[1], "yz", 2) == 2);
	close(p[1]);
	show("read end, writer closed, data left", p[0], POLLIN);
	CHECK(read(p[0], buf, sizeof buf) == 2);
	show("read end, writer closed, empty", p[0], POLLIN);
	show("read end, no events requested", p[0], 0);
	close(p[0]);

	CHECK(pipe(p) == 0);
	close(p[0]);
	show("write end, reader closed", p[1], POLLOUT);
	close(p[1]);

	/* select and epoll agree. */
	CHECK(pipe(p) == 0);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = {0, 0};
	EXPECT_EQ("select(empty)", select(p[0] + 1, &rs, NULL, NULL, &tv), 0);
	CHECK(write(p[1], "a", 1) == 1);
	FD_SET(p[0], &rs);
	EXPECT_EQ("select(after write)", select(p[0] + 1, &rs, NULL, NULL, &tv), 1);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 7};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
	struct epoll_event out[2];
	EXPECT_EQ("epoll_wait(data ready)", epoll_wait(ep, out, 2, 0), 1);
	printf("epoll data = %u, EPOLLIN = %d\n", out[0].data.u32, !!(out[0].events & EPOLLIN));
	EXPECT_EQ("epoll_wait(edge already consumed)", epoll_wait(ep, out, 2, 0), 0);

	/* A poll blocked here is woken by a child's write. */
	CHECK(read(p[0], buf, 1) == 1);
	int go[2];
	CHECK(pipe(go) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		_exit(write(p[1], "w", 1) == 1 ? 0 : 2);
	}
	CHECK(write(go[1], "g", 1) == 1);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	EXPECT_EQ("poll(blocking until child writes)", poll(&pf, 1, 5000), 1);
	EXPECT_EQ("epoll_wait(new edge)", epoll_wait(ep, out, 2, 5000), 1);
	printf("child: %s\n", guest_wait(c));
	close(p[1]);
	CHECK(read(p[0], buf, 1) == 1);
	EXPECT_EQ("epoll_wait(writer closed: EPOLLHUP)", epoll_wait(ep, out, 2, 0), 1);
	printf("EPOLLHUP = %d\n", !!(out[0].events & EPOLLHUP));
	return done();
}
