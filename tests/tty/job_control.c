/* Job control on the controlling terminal (run as the leader of a session
 * whose controlling terminal is stdin, with stdout on the same terminal):
 * tcgetpgrp/tcsetpgrp/tcgetsid, SIGTTIN for a background reader, EIO when
 * it ignores SIGTTIN, SIGTTOU for a background writer with TOSTOP and for a
 * background tcsetpgrp, ENOTTY after setsid, EPERM/ESRCH for bad groups. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *status(int st) {
	static char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "killed by %s", strsignal(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		snprintf(buf, sizeof buf, "stopped by %s", strsignal(WSTOPSIG(st)));
	else
		snprintf(buf, sizeof buf, "status %#x", st);
	return buf;
}

/* Forks a child that moves to its own (background) group and runs f. */
static pid_t background(int (*f)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(f());
	}
	setpgid(c, c);
	return c;
}

static int reader(void) {
	char b;
	return read(0, &b, 1) < 0 ? 10 + errno : 0;
}

static int reader_ignoring(void) {
	signal(SIGTTIN, SIG_IGN);
	char b;
	return read(0, &b, 1) < 0 && errno == EIO ? 0 : 1;
}

static int writer(void) {
	return write(1, "", 0) < 0 || write(1, "bg\n", 3) != 3;
}

static int setter(void) {
	return tcsetpgrp(0, getpgrp()) == 0 ? 0 : 10 + errno;
}

static int setter_ignoring(void) {
	signal(SIGTTOU, SIG_IGN);
	return tcsetpgrp(0, getpgrp()) == 0 ? 0 : 10 + errno;
}

static int new_session(void) {
	if (setsid() < 0)
		return 1;
	errno = 0;
	return tcgetpgrp(0) == -1 && errno == ENOTTY ? 0 : 2;
}

static void show(const char *what, pid_t c, int options) {
	int st;
	if (waitpid(c, &st, options) != c) {
		printf("%s: waitpid failed\n", what);
		return;
	}
	printf("%s: %s\n", what, status(st));
	if (WIFSTOPPED(st)) {
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
	}
}

int main(void) {
	printf("tcgetpgrp is our group: %d\n", tcgetpgrp(0) == getpgrp());
	printf("tcgetsid is our session: %d\n", tcgetsid(0) == getsid(0));
	int r = tcsetpgrp(0, 0x3ffffff0);
	printf("tcsetpgrp(no such group): %d %s\n", r, strerror(errno));
	r = tcsetpgrp(0, -1);
	printf("tcsetpgrp(-1): %d %s\n", r, strerror(errno));
	/* A group of another session: a child that made its own. */
	int p[2];
	if (pipe(p) != 0)
		return 1;
	fflush(stdout);
	pid_t other = fork();
	if (other == 0) {
		setsid();
		char x;
		close(p[1]);
		while (read(p[0], &x, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	usleep(100000);
	r = tcsetpgrp(0, other);
	printf("tcsetpgrp(group of another session): %d %s\n", r, strerror(errno));
	close(p[1]);
	waitpid(other, NULL, 0);

	show("background read", background(reader), WUNTRACED);
	show("background read ignoring SIGTTIN", background(reader_ignoring), WUNTRACED);

	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag |= TOSTOP;
	tcsetattr(0, TCSANOW, &t);
	show("background write with TOSTOP", background(writer), WUNTRACED);
	t.c_lflag &= ~TOSTOP;
	tcsetattr(0, TCSANOW, &t);
	show("background write without TOSTOP", background(writer), WUNTRACED);

	show("background tcsetpgrp", background(setter), WUNTRACED);
	pid_t c = background(setter_ignoring);
	show("background tcsetpgrp ignoring SIGTTOU", c, WUNTRACED);
	printf("foreground is that group now: %d\n", tcgetpgrp(0) == c);
	/* Take the terminal back (we are in the background now). */
	signal(SIGTTOU, SIG_IGN);
	printf("tcsetpgrp back: %d\n", tcsetpgrp(0, getpgrp()));
	signal(SIGTTOU, SIG_DFL);
	printf("foreground is ours again: %d\n", tcgetpgrp(0) == getpgrp());

	/* A stopped background group continued in the foreground. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		char b;
		ssize_t r = read(0, &b, 0);
		_exit(r == 0 ? 0 : 1);
	}
	setpgid(c, c);
	int st;
	waitpid(c, &st, WUNTRACED);
	printf("zero-length background read: %s\n", status(st));
	if (WIFSTOPPED(st)) {
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(0, c);
		kill(c, SIGCONT);
		waitpid(c, &st, 0);
		printf("continued in the foreground: %s\n", status(st));
		tcsetpgrp(0, getpgrp());
		signal(SIGTTOU, SIG_DFL);
	}

	c = fork();
	if (c == 0)
		_exit(new_session());
	show("tcgetpgrp after setsid", c, 0);
	return 0;
}
