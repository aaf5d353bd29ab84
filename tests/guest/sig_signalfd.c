/* signalfd: blocked signals are read as signalfd_siginfo records (signo,
 * code, pid, value), poll readiness, mask updates, O_NONBLOCK EAGAIN, and a
 * child's SIGCHLD. */
#include "guest.h"
#include <poll.h>
#include <sys/signalfd.h>

int main(void) {
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd created = %d, cloexec = %d\n", fd >= 0, fcntl(fd, F_GETFD) == FD_CLOEXEC);
	struct signalfd_siginfo si;
	EXPECT_ERR("read with nothing pending", read(fd, &si, sizeof si), EAGAIN);
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	EXPECT_EQ("poll with nothing pending", poll(&pf, 1, 0), 0);
	kill(getpid(), SIGUSR1);
	sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 31});
	sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 32});
	EXPECT_EQ("poll after kill", poll(&pf, 1, 0), 1);
	EXPECT_ERR("read with a too small buffer", read(fd, &si, 8), EINVAL);
	struct signalfd_siginfo many[4];
	ssize_t n = read(fd, many, sizeof many);
	printf("read %zd records\n", n / (ssize_t)sizeof si);
	for (int i = 0; i < n / (ssize_t)sizeof si; i++)
		printf("  SIG%s code %s pid ok %d value %d\n", guest_signame(many[i].ssi_signo),
		       many[i].ssi_code == SI_USER ? "SI_USER" : many[i].ssi_code == SI_QUEUE ? "SI_QUEUE" : "other",
		       many[i].ssi_pid == (uint32_t)getpid(), many[i].ssi_int);
	sigset_t pend;
	sigpending(&pend);
	printf("nothing pending after read = %d\n", !sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGRTMIN));

	/* Only signals in the fd's mask are read. */
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGUSR2);
	EXPECT_ERR("read: USR2 not in the fd's mask", read(fd, &si, sizeof si), EAGAIN);
	EXPECT_EQ("signalfd(update mask) returns the same fd", signalfd(fd, &m, 0) == fd, 1);
	EXPECT_EQ("read after mask update", read(fd, &si, sizeof si), (long)sizeof si);
	printf("got SIG%s\n", guest_signame(si.ssi_signo));

	/* SIGCHLD through a blocking signalfd. */
	sigset_t c;
	sigemptyset(&c);
	sigaddset(&c, SIGCHLD);
	sigprocmask(SIG_BLOCK, &c, NULL);
	int cfd = signalfd(-1, &c, 0);
	fflush(stdout);
	pid_t k = fork();
	if (k == 0)
		_exit(9);
	EXPECT_EQ("blocking read of SIGCHLD", read(cfd, &si, sizeof si), (long)sizeof si);
	printf("SIGCHLD: code CLD_EXITED %d status %d pid ok %d\n", si.ssi_code == CLD_EXITED, si.ssi_status,
	       si.ssi_pid == (uint32_t)k);
	guest_wait(k);
	EXPECT_ERR("signalfd(bad flags)", signalfd(-1, &m, 0x1234), EINVAL);
	EXPECT_ERR("signalfd(not a signalfd)", signalfd(0, &m, 0), EINVAL);
	return done();
}
