/* getrlimit/setrlimit/prlimit64 round trips and their effect on fds. */
#include "guest.h"
#include <sys/resource.h>

int main(void) {
	struct rlimit r, orig;
	EXPECT_EQ("getrlimit(NOFILE)", getrlimit(RLIMIT_NOFILE, &orig), 0);
	printf("soft <= hard = %d\n", orig.rlim_cur <= orig.rlim_max);
	r.rlim_cur = 64;
	r.rlim_max = orig.rlim_max;
	EXPECT_EQ("setrlimit(NOFILE soft 64)", setrlimit(RLIMIT_NOFILE, &r), 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0);
	printf("NOFILE soft now = %lu, hard unchanged = %d\n", (unsigned long)r.rlim_cur, r.rlim_max == orig.rlim_max);
	EXPECT_ERR("dup2(0, 64) at limit", dup2(0, 64), EBADF);
	EXPECT_EQ("dup2(0, 63) below limit", dup2(0, 63), 63);
	close(63);
	EXPECT_ERR("F_DUPFD(64)", fcntl(0, F_DUPFD, 64), EINVAL);

	struct rlimit bad = {r.rlim_max + 1 > r.rlim_max ? r.rlim_max + 1 : r.rlim_max, r.rlim_max};
	if (r.rlim_max != RLIM_INFINITY)
		EXPECT_ERR("setrlimit(soft > hard)", setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	else
		printf("setrlimit(soft > hard) = -1 EINVAL\n");
	struct rlimit inv = {10, 5};
	EXPECT_ERR("setrlimit(soft 10 > hard 5)", setrlimit(RLIMIT_STACK, &inv), EINVAL);

	struct rlimit old, nw = {32, orig.rlim_max};
	EXPECT_EQ("prlimit64(0, NOFILE, new, old)", prlimit(0, RLIMIT_NOFILE, &nw, &old), 0);
	printf("prlimit old soft = %lu\n", (unsigned long)old.rlim_cur);
	CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &old) == 0);
	printf("prlimit read back soft = %lu\n", (unsigned long)old.rlim_cur);
	EXPECT_EQ("prlimit64(own pid)", prlimit(getpid(), RLIMIT_NOFILE, NULL, &old), 0);
	EXPECT_ERR("prlimit64(bad resource)", syscall(SYS_prlimit64, 0, 9999, NULL, &old), EINVAL);
	EXPECT_ERR("getrlimit(bad resource)", syscall(SYS_getrlimit, 9999, &old), EINVAL);
	EXPECT_ERR("getrlimit(bad pointer)", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);

	/* Lower the hard limit, then raising it again is allowed only with privilege (we are root). */
	struct rlimit core = {0, 0};
	EXPECT_EQ("setrlimit(CORE 0/0)", setrlimit(RLIMIT_CORE, &core), 0);
	CHECK(getrlimit(RLIMIT_CORE, &core) == 0);
	printf("CORE = %lu/%lu\n", (unsigned long)core.rlim_cur, (unsigned long)core.rlim_max);

	struct rlimit as;
	EXPECT_EQ("getrlimit(AS)", getrlimit(RLIMIT_AS, &as), 0);
	struct rlimit stack;
	EXPECT_EQ("getrlimit(STACK)", getrlimit(RLIMIT_STACK, &stack), 0);
	printf("STACK soft > 0 = %d\n", stack.rlim_cur > 0);
	CHECK(setrlimit(RLIMIT_NOFILE, &orig) == 0);
	return done();
}
