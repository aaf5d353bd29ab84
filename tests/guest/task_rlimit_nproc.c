/* RLIMIT_NPROC as a non-root user: a bounded fork bomb stops with EAGAIN;
 * root ignores the limit. */
#include "guest.h"
#include <sys/resource.h>

int main(void) {
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[1]);
		struct rlimit r = {20, 20};
		CHECK(setrlimit(RLIMIT_NPROC, &r) == 0);
		CHECK(setgid(65534) == 0 && setuid(65534) == 0);
		int forked = 0, err = 0;
		pid_t kids[64];
		while (forked < 64) {
			pid_t k = fork();
			if (k == 0) {
				char x;
				while (read(p[0], &x, 1) > 0)
					;
				_exit(0);
			}
			if (k < 0) {
				err = errno;
				break;
			}
			kids[forked++] = k;
		}
		/* Other uid-65534 processes (e.g. a concurrent run of this test) count
		 * too, so only the bound is printed. */
		printf("  forks succeeded bounded by the limit = %d\n", forked < 20);
		printf("  fork failed with %s\n", err ? errname(err) : "nothing");
		struct rlimit hi = {40, 40};
		EXPECT_ERR("  raising NPROC hard as non-root", setrlimit(RLIMIT_NPROC, &hi), EPERM);
		/* Leave no uid-65534 processes behind for the next run. */
		for (int i = 0; i < forked; i++)
			kill(kids[i], SIGKILL);
		for (int i = 0; i < forked; i++)
			waitpid(kids[i], NULL, 0);
		close(p[0]);
		fflush(stdout);
		_exit(forked);
	}
	close(p[0]);
	int st;
	CHECK(waitpid(c, &st, 0) == c);
	printf("fork bomb child exited normally = %d\n", WIFEXITED(st));
	close(p[1]);

	/* Root is exempt (CAP_SYS_RESOURCE/CAP_SYS_ADMIN). */
	struct rlimit r = {1, 1};
	c = fork();
	if (c == 0) {
		setrlimit(RLIMIT_NPROC, &r);
		int ok = 0;
		for (int i = 0; i < 3; i++) {
			pid_t k = fork();
			if (k == 0)
				_exit(0);
			if (k > 0) {
				ok++;
				waitpid(k, NULL, 0);
			}
		}
		_exit(ok);
	}
	printf("root with NPROC 1 forked: %s\n", guest_wait(c));
	return done();
}
