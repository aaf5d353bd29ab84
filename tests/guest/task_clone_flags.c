/* clone(2) without CLONE_VM as a fork: CLONE_PARENT, CLONE_PIDFD with
 * pidfd_send_signal/poll/waitid(P_PIDFD), a non-SIGCHLD exit signal. */
#include "guest.h"
#include <poll.h>
#include <sched.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
	pid_t top = getpid();
	/* The grandchild reports on p, the middle child sends its pid on q:
	 * separate pipes, so a pid whose low byte is 'y' or 'n' cannot be
	 * mistaken for the report. */
	int p[2], q[2];
	CHECK(pipe(p) == 0);
	CHECK(pipe(q) == 0);

	/* CLONE_PARENT: the grandchild becomes our child. */
	fflush(stdout);
	pid_t mid = fork();
	if (mid == 0) {
		close(p[0]);
		close(q[0]);
		long c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (c == 0) {
			char ok = getppid() == top ? 'y' : 'n';
			if (write(p[1], &ok, 1) != 1)
				_exit(90);
			_exit(12);
		}
		if (c < 0)
			_exit(91);
		if (write(q[1], &c, sizeof c) != sizeof c)
			_exit(92);
		_exit(11);
	}
	close(p[1]);
	close(q[1]);
	long gc = 0;
	char ok = 0;
	CHECK(read(q[0], &gc, sizeof gc) == (ssize_t)sizeof gc);
	CHECK(read(p[0], &ok, 1) == 1);
	close(q[0]);
	close(p[0]);
	printf("CLONE_PARENT child's parent is us = %d\n", ok == 'y');
	printf("middle child: %s\n", guest_wait(mid));
	printf("CLONE_PARENT grandchild reaped by us: %s\n", guest_wait((pid_t)gc));

	/* CLONE_PIDFD: the pidfd comes back through the parent_tid argument. */
	int pidfd = -1;
	CHECK(pipe(p) == 0);
	long c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
	if (c == 0) {
		char x;
		close(p[1]);
		ssize_t r = read(p[0], &x, 1); /* blocks until killed */
		_exit(r == 0 ? 20 : 21);
	}
	close(p[0]);
	printf("CLONE_PIDFD returned fd = %d\n", pidfd >= 0);
	printf("pidfd is cloexec = %d\n", fcntl(pidfd, F_GETFD) == FD_CLOEXEC);
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	EXPECT_EQ("poll(pidfd) while running", poll(&pf, 1, 0), 0);
	EXPECT_EQ("pidfd_send_signal(0)", syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0), 0);
	EXPECT_ERR("pidfd_send_signal(bad flags)", syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0x40), EINVAL);
	EXPECT_EQ("pidfd_send_signal(SIGTERM)", syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0), 0);
	EXPECT_EQ("poll(pidfd) after kill", poll(&pf, 1, 2000), 1);
	printf("pidfd POLLIN = %d\n", !!(pf.revents & POLLIN));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(P_PIDFD)", waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
	printf("si_code CLD_KILLED = %d, si_status = SIG%s, si_pid matches = %d\n", si.si_code == CLD_KILLED,
	       guest_signame(si.si_status), si.si_pid == c);
	EXPECT_ERR("pidfd_send_signal(reaped)", syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0), ESRCH);
	close(pidfd);
	close(p[1]);

	/* pidfd_open on a live child, then a normal wait. */
	pid_t k = fork();
	if (k == 0)
		_exit(33);
	int pfd = syscall(SYS_pidfd_open, k, 0);
	printf("pidfd_open(child) ok = %d\n", pfd >= 0);
	pf.fd = pfd;
	pf.events = POLLIN;
	EXPECT_EQ("poll(pidfd_open fd) until exit", poll(&pf, 1, 2000), 1);
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(P_PIDFD, WEXITED)", waitid(P_PIDFD, pfd, &si, WEXITED), 0);
	printf("si_code CLD_EXITED = %d, si_status = %d\n", si.si_code == CLD_EXITED, si.si_status);
	EXPECT_ERR("pidfd_open(flags 1)", syscall(SYS_pidfd_open, getpid(), 1), EINVAL);
	EXPECT_ERR("pidfd_open(0)", syscall(SYS_pidfd_open, 0, 0), EINVAL);
	close(pfd);

	/* clone with exit signal SIGUSR1: the parent gets SIGUSR1, not SIGCHLD. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	c = syscall(SYS_clone, SIGUSR1, 0, 0, 0, 0);
	if (c == 0)
		_exit(44);
	int st;
	EXPECT_EQ("waitpid(clone child, __WCLONE) == pid", waitpid(c, &st, __WCLONE) == c, 1);
	printf("clone child: %s\n", guest_wstatus(st));
	sigset_t pend;
	sigpending(&pend);
	printf("pending: SIGUSR1 = %d SIGCHLD = %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGCHLD));
	return done();
}
