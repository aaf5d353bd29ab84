/* wait4/waitpid/waitid: WNOHANG, ECHILD, WNOWAIT, P_PGID, P_ALL, siginfo
 * fields, rusage from wait4. */
#include "guest.h"
#include <sys/resource.h>
#include <time.h>

int main(void) {
	EXPECT_ERR("waitpid(-1) with no children", waitpid(-1, NULL, 0), ECHILD);
	EXPECT_ERR("waitpid(-1, WNOHANG) with no children", waitpid(-1, NULL, WNOHANG), ECHILD);
	siginfo_t si;
	EXPECT_ERR("waitid(P_ALL) with no children", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	EXPECT_ERR("waitpid(getppid())", waitpid(getppid(), NULL, 0), ECHILD);
	EXPECT_ERR("waitid(no WEXITED/WSTOPPED/WCONTINUED)", waitid(P_ALL, 0, &si, 0), EINVAL);
	EXPECT_ERR("waitpid(bad options)", waitpid(-1, NULL, 0x10000000), EINVAL);

	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		ssize_t r = read(p[0], &c, 1);
		_exit(r == 1 ? 3 : 90);
	}
	int st = -1;
	EXPECT_EQ("waitpid(running child, WNOHANG)", waitpid(pid, &st, WNOHANG), 0);
	memset(&si, 0xff, sizeof si);
	EXPECT_EQ("waitid(running child, WEXITED|WNOHANG)", waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	printf("waitid WNOHANG with nothing to report zeroes si_pid = %d\n", si.si_pid == 0);
	CHECK(write(p[1], "x", 1) == 1);
	/* WNOWAIT leaves the zombie for a later wait. */
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WEXITED|WNOWAIT)", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	printf("si_signo = SIG%s si_code CLD_EXITED = %d si_status = %d si_pid ok = %d si_uid = %d\n",
	       guest_signame(si.si_signo), si.si_code == CLD_EXITED, si.si_status, si.si_pid == pid, si.si_uid);
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WEXITED|WNOWAIT) again", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	printf("second WNOWAIT still sees status %d\n", si.si_status);
	EXPECT_EQ("waitpid reaps it (== pid)", waitpid(pid, &st, 0) == pid, 1);
	printf("status: %s\n", guest_wstatus(st));
	EXPECT_ERR("waitpid(reaped pid)", waitpid(pid, &st, 0), ECHILD);
	close(p[0]);
	close(p[1]);

	/* P_PGID: children in a new process group. */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			setpgid(0, i == 0 ? 0 : kids[0]);
			_exit(10 + i);
		}
		setpgid(kids[i], kids[0]);
	}
	pid_t other = fork();
	if (other == 0)
		_exit(20);
	int seen[3] = {0};
	for (int i = 0; i < 3; i++) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PGID, kids[0], &si, WEXITED) != 0) {
			FAIL("waitid(P_PGID) #%d: %s", i, errname(errno));
			break;
		}
		for (int k = 0; k < 3; k++)
			if (si.si_pid == kids[k])
				seen[k] = si.si_status;
	}
	printf("P_PGID reaped statuses: %d %d %d\n", seen[0], seen[1], seen[2]);
	EXPECT_ERR("waitid(P_PGID) when group is empty", waitid(P_PGID, kids[0], &si, WEXITED), ECHILD);
	EXPECT_EQ("waitpid(-pgid of ours) gets the other child", waitpid(-getpgrp(), &st, 0) == other, 1);
	printf("other child: %s\n", guest_wstatus(st));

	/* wait4 returns rusage of a busy child. */
	pid = fork();
	if (pid == 0) {
		volatile unsigned long x = 0;
		struct timespec t0, t;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		do {
			for (int i = 0; i < 100000; i++)
				x += i;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
		_exit(0);
	}
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	EXPECT_EQ("wait4 == pid", wait4(pid, &st, 0, &ru) == pid, 1);
	long us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
	printf("wait4 rusage cpu time >= 20ms = %d\n", us >= 20000);
	printf("status: %s\n", guest_wstatus(st));

	/* waitpid(0): any child in our process group; wait(NULL) with several. */
	for (int i = 0; i < 4; i++)
		if (fork() == 0)
			_exit(i);
	int sum = 0, n = 0;
	while ((pid = waitpid(0, &st, 0)) > 0) {
		sum += WEXITSTATUS(st);
		n++;
	}
	printf("waitpid(0) reaped %d children, status sum %d, then %s\n", n, sum, errname(errno));
	return done();
}
