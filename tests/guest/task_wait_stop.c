/* Job-control stops seen by the parent: SIGSTOP with WUNTRACED/WSTOPPED,
 * SIGCONT with WCONTINUED, reported once each; waitid CLD_STOPPED and
 * CLD_CONTINUED. */
#include "guest.h"

int main(void) {
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) > 0)
			;
		_exit(5);
	}
	close(p[0]);
	int st;
	EXPECT_EQ("kill(SIGSTOP)", kill(pid, SIGSTOP), 0);
	EXPECT_EQ("waitpid(WUNTRACED) == pid", waitpid(pid, &st, WUNTRACED) == pid, 1);
	printf("status: %s\n", guest_wstatus(st));
	EXPECT_EQ("waitpid(WUNTRACED|WNOHANG) again (reported once)", waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	EXPECT_EQ("waitpid(WCONTINUED|WNOHANG) while stopped", waitpid(pid, &st, WCONTINUED | WNOHANG), 0);
	/* A second SIGSTOP while stopped does not produce a new report. */
	kill(pid, SIGSTOP);
	EXPECT_EQ("kill(SIGCONT)", kill(pid, SIGCONT), 0);
	EXPECT_EQ("waitpid(WCONTINUED) == pid", waitpid(pid, &st, WCONTINUED) == pid, 1);
	printf("status: %s (WIFCONTINUED = %d)\n", guest_wstatus(st), WIFCONTINUED(st));
	EXPECT_EQ("waitpid(WCONTINUED|WNOHANG) again", waitpid(pid, &st, WCONTINUED | WNOHANG), 0);

	siginfo_t si;
	kill(pid, SIGSTOP);
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WSTOPPED|WNOWAIT)", waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT), 0);
	printf("si_code CLD_STOPPED = %d si_status = SIG%s\n", si.si_code == CLD_STOPPED, guest_signame(si.si_status));
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WSTOPPED)", waitid(P_PID, pid, &si, WSTOPPED), 0);
	printf("consumed: si_code CLD_STOPPED = %d\n", si.si_code == CLD_STOPPED);
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WSTOPPED|WNOHANG) after consuming", waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), 0);
	printf("nothing reported: si_pid = %d\n", si.si_pid);
	/* Data written while stopped is read after SIGCONT. */
	CHECK(write(p[1], "abc", 3) == 3);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	EXPECT_EQ("waitid(WCONTINUED)", waitid(P_PID, pid, &si, WCONTINUED), 0);
	printf("si_code CLD_CONTINUED = %d si_status = SIG%s\n", si.si_code == CLD_CONTINUED, guest_signame(si.si_status));

	/* Stop then kill: SIGKILL works on a stopped task. */
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid);
	printf("status: %s\n", guest_wstatus(st));
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid);
	printf("after SIGKILL while stopped: %s\n", guest_wstatus(st));

	/* Stop, continue and normal exit with plain waitpid(0 options) sees only
	 * the exit. */
	int q[2];
	CHECK(pipe(q) == 0);
	pid = fork();
	if (pid == 0) {
		close(q[1]);
		char c;
		while (read(q[0], &c, 1) > 0)
			;
		_exit(6);
	}
	close(q[0]);
	kill(pid, SIGSTOP);
	siginfo_t s2;
	CHECK(waitid(P_PID, pid, &s2, WSTOPPED | WNOWAIT) == 0);
	kill(pid, SIGCONT);
	close(q[1]);
	printf("plain waitpid: %s\n", guest_wait(pid));
	close(p[1]);
	return done();
}
