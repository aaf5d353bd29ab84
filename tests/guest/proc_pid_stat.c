/* /proc/<pid>/stat of a child through its life: sleeping (S), stopped (T),
 * zombie (Z) before reaping, gone after; fields pid, comm, ppid, pgrp. */
#include "guest.h"
#include <sys/prctl.h>

/* Reads /proc/<pid>/stat; returns 0 and fills state/comm/ppid/pgrp. */
static int stat_of(pid_t pid, char *state, char *comm, int *ppid, int *pgrp) {
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r)
		return -EIO;
	int rpid = atoi(buf);
	if (rpid != pid)
		return -EIO;
	memcpy(comm, l + 1, r - l - 1);
	comm[r - l - 1] = 0;
	if (sscanf(r + 2, "%c %d %d", state, ppid, pgrp) != 3)
		return -EIO;
	return 0;
}

static void show(const char *label, pid_t pid) {
	char state = '?', comm[64] = "";
	int ppid = 0, pgrp = 0;
	int r = stat_of(pid, &state, comm, &ppid, &pgrp);
	if (r < 0) {
		printf("%s: /proc/<pid>/stat: %s\n", label, errname(-r));
		return;
	}
	printf("%s: state %c comm (%s) ppid is us %d pgrp is ours %d\n", label, state, comm, ppid == getpid(),
	       pgrp == getpgrp());
}

int main(void) {
	int p[2], ready[2];
	CHECK(pipe(p) == 0 && pipe(ready) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_NAME, "stat-child", 0, 0, 0);
		close(p[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(90);
		char x;
		while (read(p[0], &x, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	char x;
	CHECK(read(ready[0], &x, 1) == 1);
	/* Give the child time to block in read: poll its state (bounded). */
	char state = '?', comm[64];
	int ppid, pgrp;
	for (int i = 0; i < 2000; i++) {
		if (stat_of(c, &state, comm, &ppid, &pgrp) == 0 && state == 'S')
			break;
		usleep(1000);
	}
	show("blocked in read", c);
	kill(c, SIGSTOP);
	int st;
	CHECK(waitpid(c, &st, WUNTRACED) == c);
	show("stopped", c);
	kill(c, SIGCONT);
	close(p[1]);
	siginfo_t si;
	CHECK(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0);
	show("exited, not reaped", c);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", c);
	struct stat sb;
	printf("/proc/<pid> exists while zombie = %d\n", stat(path, &sb) == 0);
	guest_wait(c);
	show("after reaping", c);
	EXPECT_ERR("stat(/proc/<reaped pid>)", stat(path, &sb), ENOENT);

	char mystate;
	CHECK(stat_of(getpid(), &mystate, comm, &ppid, &pgrp) == 0);
	printf("self: state %c (running)\n", mystate);
	return done();
}
