/* The vDSO's time calls: present (AT_SYSINFO_EHDR), monotonic, and
 * consistent with the system calls, across a fork too. */
#include "guest.h"
#include <elf.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static long long ns(struct timespec t) {
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long sys_ns(clockid_t id) {
	struct timespec t;
	if (syscall(SYS_clock_gettime, id, &t) != 0)
		return -1;
	return ns(t);
}

static long long libc_ns(clockid_t id) {
	struct timespec t;
	if (clock_gettime(id, &t) != 0)
		return -1;
	return ns(t);
}

/* Calls clock_gettime(id) through libc for at least `ms` milliseconds (so a
 * run spans several parameter updates); 1 if it never went backwards and
 * every tv_nsec was in range. */
static int monotonic_for(clockid_t id, int ms) {
	struct timespec t;
	long long last = libc_ns(id), start = sys_ns(CLOCK_MONOTONIC);
	int ok = 1;
	for (long i = 0;; i++) {
		if (clock_gettime(id, &t) != 0 || t.tv_nsec < 0 || t.tv_nsec >= 1000000000)
			ok = 0;
		long long v = ns(t);
		if (v < last)
			ok = 0;
		last = v;
		if ((i & 1023) == 0 && sys_ns(CLOCK_MONOTONIC) - start > ms * 1000000LL)
			break;
	}
	return ok;
}

/* 1 if libc's clock and the system call agree: sys(before) - slack <= libc
 * <= sys(after) + slack. */
static int agrees(clockid_t id, long long slack) {
	int ok = 1;
	for (int i = 0; i < 200; i++) {
		long long a = sys_ns(id), v = libc_ns(id), b = sys_ns(id);
		if (a < 0 || v < 0 || b < 0 || v < a - slack || v > b + slack)
			ok = 0;
	}
	return ok;
}

struct clk {
	clockid_t id;
	const char *name;
	long long slack;
};

static const struct clk clocks[] = {
	{CLOCK_REALTIME, "REALTIME", 2000000},
	{CLOCK_MONOTONIC, "MONOTONIC", 2000000},
	{CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", 2000000},
	{CLOCK_BOOTTIME, "BOOTTIME", 2000000},
	/* Coarse clocks tick every few ms. */
	{CLOCK_REALTIME_COARSE, "REALTIME_COARSE", 20000000},
	{CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", 20000000},
};

static int check_all(int ms) {
	int ok = 1;
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		int m = monotonic_for(clocks[i].id, ms);
		int a = agrees(clocks[i].id, clocks[i].slack);
		if (ms)
			printf("%s: monotonic = %d, agrees with syscall = %d\n", clocks[i].name, m, a);
		ok &= m & a;
	}
	return ok;
}

int main(void) {
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
	printf("AT_SYSINFO_EHDR present = %d\n", ehdr != 0);
	printf("vDSO is an ELF = %d\n", ehdr != 0 && memcmp((void *)ehdr, ELFMAG, SELFMAG) == 0);

	FILE *f = fopen("/proc/self/maps", "r");
	int vdso = 0, vvar = 0;
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		if (strstr(line, "[vdso]")) {
			unsigned long lo = strtoul(line, NULL, 16);
			vdso = lo == ehdr && strstr(line, " r-xp ") != NULL;
		}
		if (strstr(line, "[vvar]"))
			vvar = 1;
	}
	if (f)
		fclose(f);
	printf("maps: [vdso] r-xp at AT_SYSINFO_EHDR = %d, [vvar] = %d\n", vdso, vvar);

	check_all(300);

	/* Interleaved with system calls, MONOTONIC never goes back by more
	 * than the tolerance. */
	int inter = 1;
	long long last = libc_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 20000; i++) {
		long long v = (i & 1) ? sys_ns(CLOCK_MONOTONIC) : libc_ns(CLOCK_MONOTONIC);
		if (v < last - 1000000)
			inter = 0;
		if (v > last)
			last = v;
	}
	printf("interleaved with syscalls = %d\n", inter);

	struct timeval tv;
	struct timespec rt;
	int gtod = 1;
	for (int i = 0; i < 200; i++) {
		long long a = sys_ns(CLOCK_REALTIME);
		if (gettimeofday(&tv, NULL) != 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			gtod = 0;
		long long b = sys_ns(CLOCK_REALTIME);
		long long v = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
		if (v < a - 2000000 - 1000 || v > b + 2000000)
			gtod = 0;
	}
	struct timezone tz = {1, 1};
	printf("gettimeofday agrees = %d, timezone zero = %d\n", gtod,
	       gettimeofday(&tv, &tz) == 0 && tz.tz_minuteswest == 0 && tz.tz_dsttime == 0);
	time_t t1 = 0;
	time_t t0 = time(&t1);
	clock_gettime(CLOCK_REALTIME, &rt);
	printf("time agrees = %d\n", t0 == t1 && labs((long)(t0 - rt.tv_sec)) <= 1 &&
	                                   labs((long)(t0 - syscall(SYS_time, NULL))) <= 1);

	unsigned cpu = 12345, node = 12345;
	int gc = getcpu(&cpu, &node);
	printf("getcpu = %d, cpu and node set = %d\n", gc, cpu != 12345 && node != 12345);
	printf("sched_getcpu >= 0 = %d\n", sched_getcpu() >= 0);

	/* After fork, the child's vDSO works (its pages are not copied). */
	pid_t pid = fork();
	if (pid == 0)
		_exit(check_all(0) ? 0 : 1);
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child after fork: exited 0 = %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("parent after fork = %d\n", check_all(0));

	/* A tracer's write into a child's vDSO stays in the child. */
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(check_all(0) ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	unsigned long word = ehdr + 8; /* e_ident padding */
	long before = *(long *)word;
	errno = 0;
	int poked = ptrace(PTRACE_POKETEXT, pid, (void *)word, (void *)0x1122334455667788L) == 0;
	long seen = ptrace(PTRACE_PEEKTEXT, pid, (void *)word, 0);
	printf("poke into child's vDSO = %d, child sees it = %d, ours unchanged = %d\n", poked,
	       seen == 0x1122334455667788L, *(long *)word == before);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	printf("traced child exited 0 = %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* A new process gets a clean vDSO. */
	pid = fork();
	if (pid == 0)
		_exit(*(long *)word == before ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("next child's vDSO clean = %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return done();
}
