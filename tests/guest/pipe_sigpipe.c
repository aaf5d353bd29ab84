/* Writing to a pipe with no readers: SIGPIPE kills by default; with SIGPIPE
 * ignored, blocked or handled the write fails with EPIPE. */
#include "guest.h"

static volatile int handled;

static void handler(int sig) {
	handled = sig;
}

static void case_(const char *label, int mode) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int p[2];
		if (pipe(p) != 0)
			_exit(90);
		close(p[0]);
		if (mode == 1)
			signal(SIGPIPE, SIG_IGN);
		if (mode == 2) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGPIPE);
			sigprocmask(SIG_BLOCK, &s, NULL);
		}
		if (mode == 3)
			signal(SIGPIPE, handler);
		errno = 0;
		ssize_t r = write(p[1], "x", 1);
		int e = errno;
		sigset_t pend;
		sigpending(&pend);
		printf("  %s: write = %zd %s, SIGPIPE pending %d, handler ran %d\n", label, r, errname(e),
		       sigismember(&pend, SIGPIPE), handled == SIGPIPE);
		fflush(stdout);
		_exit(0);
	}
	printf("%s: %s\n", label, guest_wait(c));
}

int main(void) {
	case_("default", 0);
	case_("ignored", 1);
	case_("blocked", 2);
	case_("handled", 3);

	/* The reader goes away while the writer is blocked on a full pipe. */
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		static char buf[1 << 17];
		ssize_t r = write(p[1], buf, sizeof buf); /* blocks after 64 KiB */
		_exit(r >= 65536 ? 2 : r < 0 && errno == EPIPE ? 3 : 4);
	}
	close(p[1]);
	char buf[16];
	CHECK(read(p[0], buf, 1) == 1); /* the writer has started */
	close(p[0]);
	printf("blocked writer after reader close (2 = short count of at least 64 KiB, 3 = EPIPE): %s\n", guest_wait(c));
	return done();
}
