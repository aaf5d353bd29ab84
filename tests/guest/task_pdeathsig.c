/* PR_SET_PDEATHSIG: a grandchild gets its signal when its parent dies, and
 * is reparented. */
#include "guest.h"
#include <sys/prctl.h>

static int report_fd;

static void on_sig(int sig) {
	char msg[2] = {(char)sig, getppid() != 0 ? 1 : 0};
	if (write(report_fd, msg, 2) != 2)
		_exit(90);
	_exit(0);
}

int main(void) {
	int rep[2], go[2];
	CHECK(pipe(rep) == 0 && pipe(go) == 0);
	fflush(stdout);
	pid_t b = fork();
	if (b == 0) {
		close(rep[0]);
		close(go[1]);
		pid_t parent = getpid();
		pid_t c = fork();
		if (c == 0) {
			report_fd = rep[1];
			signal(SIGUSR2, on_sig);
			prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
			if (getppid() != parent)
				_exit(91); /* parent already gone */
			char x = 'r';
			/* Tell the test we are armed. */
			if (write(rep[1], &x, 1) != 1)
				_exit(92);
			for (;;)
				pause();
		}
		char x;
		/* Wait for the go signal, then die. */
		if (read(go[0], &x, 1) < 0)
			_exit(93);
		_exit(3);
	}
	close(rep[1]);
	close(go[0]);
	char x = 0;
	CHECK(read(rep[0], &x, 1) == 1);
	printf("grandchild armed = %d\n", x == 'r');
	CHECK(write(go[1], "g", 1) == 1);
	printf("middle child: %s\n", guest_wait(b));
	char msg[2] = {0, 0};
	CHECK(read(rep[0], msg, 2) == 2);
	printf("grandchild got SIG%s after its parent died\n", guest_signame(msg[0]));
	return done();
}
