/* Orphans: a double-fork grandchild is reparented when its parent exits;
 * with PR_SET_CHILD_SUBREAPER it is reparented to us and we can reap it. */
#include "guest.h"
#include <sys/prctl.h>
#include <time.h>

/* Child B forks C and exits; C waits (bounded) for getppid() to change and
 * reports {reparented, new parent is top} plus its pid through the pipe. */
static void middle(int wfd, pid_t top) {
	pid_t b = getpid();
	pid_t c = fork();
	if (c == 0) {
		struct timespec ts = {0, 1000000};
		int i;
		for (i = 0; i < 2000 && getppid() == b; i++)
			nanosleep(&ts, NULL);
		int msg[3] = {getppid() != b, getppid() == top, getpid()};
		if (write(wfd, msg, sizeof msg) != sizeof msg)
			_exit(90);
		_exit(21);
	}
	_exit(c > 0 ? 20 : 91);
}

static void round_trip(const char *label, int subreaper) {
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t top = getpid();
	fflush(stdout);
	pid_t b = fork();
	if (b == 0) {
		close(p[0]);
		middle(p[1], top);
	}
	close(p[1]);
	printf("%s: middle child %s\n", label, guest_wait(b));
	int msg[3] = {0, 0, 0};
	CHECK(read(p[0], msg, sizeof msg) == sizeof msg);
	close(p[0]);
	printf("%s: reparented = %d\n", label, msg[0]);
	if (subreaper) {
		printf("%s: new parent is the subreaper = %d\n", label, msg[1]);
		printf("%s: subreaper reaps grandchild: %s\n", label, guest_wait(msg[2]));
	} else {
		printf("%s: grandchild is not our child: waitpid = %s\n", label,
		       waitpid(msg[2], NULL, WNOHANG) < 0 ? errname(errno) : "ok");
	}
}

int main(void) {
	int v = -1;
	EXPECT_EQ("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
	printf("initially subreaper = %d\n", v);
	/* Without a subreaper, orphans go to init; run this case one level down
	 * so that it does not matter whether this program is itself init (as in
	 * a sandbox's PID namespace). */
	fflush(stdout);
	pid_t top = fork();
	if (top == 0) {
		round_trip("plain", 0);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("plain case runner: %s\n", guest_wait(top));
	EXPECT_EQ("PR_SET_CHILD_SUBREAPER(1)", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0) == 0);
	printf("now subreaper = %d\n", v);
	round_trip("subreaper", 1);

	/* The flag is not inherited by fork. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int w = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &w, 0, 0, 0);
		_exit(w);
	}
	printf("child's subreaper flag: %s\n", guest_wait(c));
	return done();
}
