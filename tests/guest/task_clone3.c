/* clone3: fork-like use, CLONE_PIDFD, CLONE_PARENT_SETTID, exit_signal,
 * argument validation. */
#include "guest.h"
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>

static long clone3(struct clone_args *a, size_t size) {
	return syscall(SYS_clone3, a, size);
}

int main(void) {
	struct clone_args a;
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	fflush(stdout);
	long c = clone3(&a, sizeof a);
	if (c == 0)
		_exit(3);
	printf("clone3 fork-like returned pid = %d\n", c > 0);
	printf("child: %s\n", guest_wait(c));

	int pidfd = -1;
	pid_t ptid = 0;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
	a.pidfd = (uintptr_t)&pidfd;
	a.parent_tid = (uintptr_t)&ptid;
	a.exit_signal = SIGCHLD;
	c = clone3(&a, sizeof a);
	if (c == 0)
		_exit(getppid() > 0 ? 4 : 5);
	printf("pidfd returned = %d, parent_tid == pid = %d\n", pidfd >= 0, ptid == c);
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	EXPECT_EQ("poll(pidfd)", poll(&pf, 1, 2000), 1);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(P_PIDFD)", waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
	printf("exit status via pidfd = %d\n", si.si_status);
	close(pidfd);

	/* exit_signal 0: only __WCLONE/__WALL see the child. */
	memset(&a, 0, sizeof a);
	c = clone3(&a, sizeof a);
	if (c == 0)
		_exit(6);
	int st;
	EXPECT_ERR("waitpid(no exit signal, 0)", waitpid(c, &st, 0), ECHILD);
	EXPECT_EQ("waitpid(__WALL) == pid", waitpid(c, &st, __WALL) == c, 1);
	printf("exit_signal 0 child: %s\n", guest_wstatus(st));

	/* Validation. */
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	EXPECT_ERR("clone3(size too small)", clone3(&a, 8), EINVAL);
	EXPECT_ERR("clone3(NULL)", clone3(NULL, sizeof a), EFAULT);
	a.exit_signal = 65;
	EXPECT_ERR("clone3(exit_signal 65)", clone3(&a, sizeof a), EINVAL);
	a.exit_signal = SIGCHLD;
	a.flags = CLONE_THREAD;
	EXPECT_ERR("clone3(CLONE_THREAD alone)", clone3(&a, sizeof a), EINVAL);
	a.flags = 0;
	a.stack = 0;
	a.stack_size = 4096;
	EXPECT_ERR("clone3(stack_size without stack)", clone3(&a, sizeof a), EINVAL);
	a.stack_size = 0;
	struct {
		struct clone_args a;
		uint64_t extra;
	} big;
	memset(&big, 0, sizeof big);
	big.a.exit_signal = SIGCHLD;
	big.extra = 1;
	EXPECT_ERR("clone3(nonzero bytes past the struct)", clone3(&big.a, sizeof big), E2BIG);
	big.extra = 0;
	c = clone3(&big.a, sizeof big);
	if (c == 0)
		_exit(7);
	printf("clone3(larger zero-padded struct) child: %s\n", guest_wait(c));
	return done();
}
