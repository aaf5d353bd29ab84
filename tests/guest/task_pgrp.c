/* Process groups and sessions: setpgid/getpgid/getpgrp, setsid/getsid,
 * kill(-pgid), errors. */
#include "guest.h"

int main(void) {
	pid_t me = getpid();
	printf("getpgrp() == getpgid(0) = %d\n", getpgrp() == getpgid(0));
	printf("getsid(0) == getsid(self) = %d\n", getsid(0) == getsid(me));
	EXPECT_ERR("getpgid(nonexistent)", getpgid(0x3ffffff0), ESRCH);
	EXPECT_ERR("getsid(nonexistent)", getsid(0x3ffffff0), ESRCH);
	EXPECT_ERR("setpgid(-1)", setpgid(0, -1), EINVAL);
	EXPECT_ERR("setpgid(nonexistent pid)", setpgid(0x3ffffff0, 0), ESRCH);
	EXPECT_ERR("kill(-nonexistent pgid)", kill(-0x3ffffff0, 0), ESRCH);

	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int ok = 1;
		ok &= getpgrp() == getpgid(getppid());
		ok &= setpgid(0, 0) == 0;
		ok &= getpgrp() == getpid();
		errno = 0;
		ok &= setsid() == -1 && errno == EPERM; /* group leader */
		_exit(ok ? 0 : 1);
	}
	printf("child: setpgid(0,0) makes it leader, then setsid EPERM: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		int ok = 1;
		pid_t oldsid = getsid(0);
		pid_t s = setsid();
		ok &= s == getpid();
		ok &= getsid(0) == getpid() && getpgrp() == getpid();
		ok &= oldsid != s;
		/* Cannot join a group of another session. */
		errno = 0;
		ok &= setpgid(0, getpgid(getppid())) == -1 && errno == EPERM;
		errno = 0;
		ok &= setsid() == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	printf("child: setsid as non-leader, then cross-session setpgid EPERM: %s\n", guest_wait(c));

	/* The parent moves a child into a new group; then kill(-pgid). */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(p[1]);
			char x;
			while (read(p[0], &x, 1) > 0)
				;
			_exit(1);
		}
		EXPECT_EQ(i == 0 ? "setpgid(child0, child0)" : "setpgid(child, child0)", setpgid(kids[i], kids[0]), 0);
	}
	printf("getpgid(child2) == child0 = %d\n", getpgid(kids[2]) == kids[0]);
	printf("child in our session = %d\n", getsid(kids[1]) == getsid(0));
	EXPECT_EQ("kill(-pgid, SIGUSR1)", kill(-kids[0], SIGUSR1), 0);
	for (int i = 0; i < 3; i++)
		printf("group member %d: %s\n", i, guest_wait(kids[i]));
	EXPECT_ERR("kill(-pgid) after all exited", kill(-kids[0], SIGUSR1), ESRCH);

	/* setpgid on a child after it has exec'd fails with EACCES. */
	int q[2];
	CHECK(pipe(q) == 0);
	c = fork();
	if (c == 0) {
		close(q[0]);
		fcntl(q[1], F_SETFD, FD_CLOEXEC);
		char *args[] = {"/bin/cat", NULL};
		dup2(p[0], 0);
		close(p[1]);
		execv("/bin/cat", args);
		_exit(90);
	}
	close(q[1]);
	char x;
	/* EOF on q means the child has exec'd (close-on-exec). */
	CHECK(read(q[0], &x, 1) == 0);
	EXPECT_ERR("setpgid(child after exec)", setpgid(c, c), EACCES);
	/* A process that is not our child: the grandchild of a helper. */
	int g[2];
	CHECK(pipe(g) == 0);
	pid_t helper = fork();
	if (helper == 0) {
		close(g[0]);
		close(p[1]);
		pid_t gc = fork();
		if (gc == 0) {
			char y;
			while (read(p[0], &y, 1) > 0)
				;
			_exit(0);
		}
		if (write(g[1], &gc, sizeof gc) != sizeof gc)
			_exit(1);
		waitpid(gc, NULL, 0);
		_exit(0);
	}
	close(g[1]);
	pid_t grandchild = 0;
	CHECK(read(g[0], &grandchild, sizeof grandchild) == sizeof grandchild);
	EXPECT_ERR("setpgid(grandchild)", setpgid(grandchild, 0), ESRCH);
	close(p[1]);
	close(p[0]);
	printf("cat child: %s\n", guest_wait(c));
	printf("helper: %s\n", guest_wait(helper));
	(void)me;
	return done();
}
