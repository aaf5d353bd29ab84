/* /proc/PID/limits shows the process's own limits in Linux's layout (and
 * those another process set with prlimit); /proc/PID/status shows who
 * traces a thread (TracerPid) and has every field of Linux 6. */
#include "guest.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* Prints the lines of `path` that start with `prefix`. */
static void show(const char *path, const char *prefix) {
	FILE *f = fopen(path, "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			printf("%s", line);
	if (f)
		fclose(f);
}

static int tracer_of(pid_t pid) {
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	int t = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "TracerPid: %d", &t) == 1)
			break;
	if (f)
		fclose(f);
	return t;
}

int main(void) {
	struct rlimit nofile = {123, 456}, core = {0, 1000}, cpu = {50, RLIM_INFINITY};
	CHECK(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
	CHECK(setrlimit(RLIMIT_CORE, &core) == 0);
	CHECK(setrlimit(RLIMIT_CPU, &cpu) == 0);
	show("/proc/self/limits", "Limit");
	show("/proc/self/limits", "Max open files");
	show("/proc/self/limits", "Max core file size");
	show("/proc/self/limits", "Max cpu time");
	show("/proc/self/limits", "Max file size");
	show("/proc/self/limits", "Max realtime timeout");

	/* Fields of status, in order: names only (values are the host's). */
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];
	printf("status fields:");
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon) {
			*colon = 0;
			printf(" %s", line);
		}
	}
	printf("\n");
	if (f)
		fclose(f);
	printf("not traced: TracerPid %d\n", tracer_of(getpid()));

	/* A traced child: its status names us. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		printf("child: traced by its parent %d\n", tracer_of(getpid()) == getppid());
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child stopped %d; its TracerPid is us %d\n", WIFSTOPPED(st), tracer_of(c) == getpid());
	/* Another process's limits, changed by prlimit, show in its file. */
	struct rlimit r = {42, 456};
	CHECK(prlimit(c, RLIMIT_NOFILE, &r, NULL) == 0);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/limits", c);
	show(path, "Max open files");
	ptrace(PTRACE_DETACH, c, 0, 0);
	printf("child: %s\n", guest_wait(c));
	return done();
}
