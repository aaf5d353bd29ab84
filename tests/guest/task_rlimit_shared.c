/* Resource limits belong to the process: a limit one thread sets is the
 * limit of every thread; a child inherits them at fork and keeps them
 * across exec; prlimit reads and sets another process's limits when the
 * caller may (same uids, or CAP_SYS_RESOURCE) and fails with EPERM when it
 * may not, ESRCH for no such process. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void *set_in_thread(void *arg) {
	(void)arg;
	struct rlimit r = {77, 200};
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0);
	return NULL;
}

static void show(const char *who, pid_t pid, int res) {
	struct rlimit r;
	if (prlimit(pid, res, NULL, &r) != 0) {
		printf("%s: prlimit = -1 %s\n", who, errname(errno));
		return;
	}
	printf("%s: soft %llu hard %llu\n", who, (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
}

int main(int argc, char **argv) {
	if (argc > 1) {
		/* After exec: the limits came along. */
		show("after exec, NOFILE", 0, RLIMIT_NOFILE);
		return 0;
	}
	pthread_t t;
	pthread_create(&t, NULL, set_in_thread, NULL);
	pthread_join(t, NULL);
	show("main thread sees the thread's NOFILE", 0, RLIMIT_NOFILE);

	int p[2], ready[2];
	CHECK(pipe(p) == 0 && pipe(ready) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char b;
		show("child inherits NOFILE", 0, RLIMIT_NOFILE);
		fflush(stdout);
		CHECK(write(ready[1], "r", 1) == 1);
		/* Wait until the parent changed our limit. */
		CHECK(read(p[0], &b, 1) == 1);
		show("child after the parent's prlimit", 0, RLIMIT_NOFILE);
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "again", (char *)NULL);
		_exit(9);
	}
	char b;
	CHECK(read(ready[0], &b, 1) == 1);
	struct rlimit n = {50, 150}, old;
	CHECK(prlimit(c, RLIMIT_NOFILE, &n, &old) == 0);
	printf("parent set the child's NOFILE; old soft %llu hard %llu\n", (unsigned long long)old.rlim_cur,
	       (unsigned long long)old.rlim_max);
	show("parent reads the child's NOFILE", c, RLIMIT_NOFILE);
	show("parent's own NOFILE unchanged", 0, RLIMIT_NOFILE);
	CHECK(write(p[1], "x", 1) == 1);
	printf("child: %s\n", guest_wait(c));

	/* A process of another user may not be touched without the capability. */
	int q[2];
	CHECK(pipe(q) == 0);
	pid_t victim = fork();
	if (victim == 0) {
		close(q[1]);
		CHECK(setresuid(1001, 1001, 1001) == 0);
		/* Lives until the parent closes its end. */
		CHECK(read(q[0], &b, 1) == 0);
		_exit(0);
	}
	close(q[0]);
	fflush(stdout);
	pid_t prober = fork();
	if (prober == 0) {
		CHECK(setresuid(1000, 1000, 1000) == 0);
		/* Give the victim time to drop its uids. */
		usleep(100000);
		struct rlimit r;
		errno = 0;
		int rc = prlimit(victim, RLIMIT_NOFILE, NULL, &r);
		printf("prlimit of another user's process = %d %s\n", rc, rc ? errname(errno) : "");
		rc = prlimit(getpid(), RLIMIT_NOFILE, NULL, &r);
		printf("prlimit of itself by pid = %d\n", rc);
		struct rlimit up = {r.rlim_cur, r.rlim_max + 1};
		rc = prlimit(0, RLIMIT_NOFILE, &up, NULL);
		printf("raising its own hard limit without the capability = %d %s\n", rc, rc ? errname(errno) : "");
		_exit(0);
	}
	printf("prober: %s\n", guest_wait(prober));
	close(q[1]);
	printf("victim: %s\n", guest_wait(victim));

	struct rlimit r;
	EXPECT_ERR("prlimit of no such process", prlimit(999999, RLIMIT_NOFILE, NULL, &r), ESRCH);
	EXPECT_ERR("prlimit with a bad resource", prlimit(0, 99, NULL, &r), EINVAL);
	EXPECT_ERR("prlimit of a negative pid", syscall(SYS_prlimit64, -5, RLIMIT_NOFILE, NULL, &r), ESRCH);
	return done();
}
