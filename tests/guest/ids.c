/* Identity: uid/gid calls agree with each other and with getres*id. */
#include "guest.h"

int main(void) {
	uid_t r, e, s;
	gid_t gr, ge, gs;
	EXPECT_EQ("getresuid", getresuid(&r, &e, &s), 0);
	EXPECT_EQ("getresgid", getresgid(&gr, &ge, &gs), 0);
	printf("getuid == ruid = %d, geteuid == euid = %d\n", getuid() == r, geteuid() == e);
	printf("getgid == rgid = %d, getegid == egid = %d\n", getgid() == gr, getegid() == ge);
	printf("uid = %u euid = %u gid = %u egid = %u\n", getuid(), geteuid(), getgid(), getegid());
	printf("saved = %u %u\n", s, gs);
	int n = getgroups(0, NULL);
	printf("getgroups count >= 0 = %d\n", n >= 0);
	EXPECT_ERR("getgroups(-1)", syscall(SYS_getgroups, -1, NULL), EINVAL);
	printf("getpid == gettid = %d\n", getpid() == (pid_t)syscall(SYS_gettid));
	printf("getppid != getpid = %d\n", getppid() != getpid());
	/* The ids themselves depend on who started us: a session or group led
	 * from outside our pid namespace reads as 0. Check consistency only. */
	printf("getpgid(0) == getpgrp() = %d, getpgid(0) >= 0 = %d\n", getpgid(0) == getpgrp(),
	       getpgid(0) >= 0);
	printf("getsid(0) == getsid(getpid()) = %d, getsid(0) >= 0 = %d\n",
	       getsid(0) == getsid(getpid()), getsid(0) >= 0);
	EXPECT_ERR("getpgid(nonexistent)", getpgid(0x3ffffff0), ESRCH);
	/* Setting our own ids to the current values is allowed. */
	EXPECT_EQ("setuid(getuid())", setuid(getuid()), 0);
	EXPECT_EQ("setgid(getgid())", setgid(getgid()), 0);
	EXPECT_EQ("setresuid(-1,-1,-1)", setresuid(-1, -1, -1), 0);
	return done();
}
