/* Assorted /proc files whose format (not content) is checked: loadavg,
 * uptime, self/stat, self/statm, self/status keys, self/limits, self/comm,
 * stat of the process directories. */
#include "guest.h"

static long slurp(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

int main(void) {
	char buf[8192];
	CHECK(slurp("/proc/loadavg", buf, sizeof buf) > 0);
	float a, b, c;
	int run, total, last;
	printf("loadavg parses as 3 floats, running/total, last pid = %d\n",
	       sscanf(buf, "%f %f %f %d/%d %d", &a, &b, &c, &run, &total, &last) == 6 && run >= 1 && total >= run);
	CHECK(slurp("/proc/uptime", buf, sizeof buf) > 0);
	double up, idle;
	printf("uptime parses as 2 numbers, uptime > 0 = %d\n", sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0);

	CHECK(slurp("/proc/self/stat", buf, sizeof buf) > 0);
	int pid = atoi(buf);
	char *r = strrchr(buf, ')');
	int fields = 0;
	for (char *p = r + 1; *p; p++)
		if (*p == ' ')
			fields++;
	printf("self/stat pid matches = %d, at least 50 fields = %d\n", pid == getpid(), fields + 2 >= 50);
	CHECK(slurp("/proc/self/statm", buf, sizeof buf) > 0);
	long sz, res, sh, txt, lib, dat, dt;
	printf("statm parses as 7 numbers = %d\n", sscanf(buf, "%ld %ld %ld %ld %ld %ld %ld", &sz, &res, &sh, &txt, &lib, &dat, &dt) == 7);

	CHECK(slurp("/proc/self/status", buf, sizeof buf) > 0);
	const char *keys[] = {"Name:", "State:", "Tgid:", "Pid:", "PPid:", "Uid:", "Gid:", "Threads:", "SigBlk:", "SigIgn:",
	                      "SigCgt:", "CapEff:", "VmRSS:"};
	for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
		printf("status has %s %d\n", keys[i], strstr(buf, keys[i]) != NULL);
	char *ppid = strstr(buf, "\nPPid:");
	printf("status PPid matches getppid = %d\n", ppid && atoi(ppid + 6) == getppid());

	/* Blocked and ignored signals show up in the masks. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	signal(SIGUSR2, SIG_IGN);
	CHECK(slurp("/proc/self/status", buf, sizeof buf) > 0);
	char *blk = strstr(buf, "SigBlk:"), *ign = strstr(buf, "SigIgn:");
	unsigned long long mb = blk ? strtoull(blk + 7, NULL, 16) : 0, mi = ign ? strtoull(ign + 7, NULL, 16) : 0;
	printf("SigBlk has USR1 = %d, SigIgn has USR2 = %d\n", !!(mb & (1ull << (SIGUSR1 - 1))),
	       !!(mi & (1ull << (SIGUSR2 - 1))));

	CHECK(slurp("/proc/self/limits", buf, sizeof buf) > 0);
	printf("limits has Max open files = %d, Max processes = %d\n", strstr(buf, "Max open files") != NULL,
	       strstr(buf, "Max processes") != NULL);
	CHECK(slurp("/proc/self/comm", buf, sizeof buf) > 0);
	printf("comm ends with newline = %d\n", buf[strlen(buf) - 1] == '\n');

	struct stat st;
	CHECK(stat("/proc/self", &st) == 0);
	printf("/proc/self is a directory owned by us = %d\n", S_ISDIR(st.st_mode) && st.st_uid == getuid());
	char link[64];
	ssize_t n = readlink("/proc/self", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("/proc/self -> pid = %d\n", atoi(link) == getpid());
	n = readlink("/proc/thread-self", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	char want[64];
	snprintf(want, sizeof want, "%d/task/%ld", getpid(), syscall(SYS_gettid));
	printf("/proc/thread-self -> pid/task/tid = %d\n", strcmp(link, want) == 0);
	return done();
}
