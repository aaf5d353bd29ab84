/* Shared helpers for guest tests.
 *
 * A guest test prints one line per observation, e.g.
 *   open(O_EXCL existing) = -1 EEXIST
 * and never anything that legitimately differs between the sandbox and the
 * host (pids, inode numbers, addresses, times, fd numbers of the harness...).
 * A failed check prints "FAIL <file>:<line>: <what>" and makes the program exit
 * 1 via done().
 */
#ifndef GUEST_H
#define GUEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static int guest_failures;

/* Line-buffered stdout, so output up to a crash is not lost. */
__attribute__((constructor)) static void guest_init(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline const char *errname(int e) {
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

#define FAIL(...)                                                   \
	do {                                                                \
		printf("FAIL %s:%d: ", __FILE__, __LINE__);                       \
		printf(__VA_ARGS__);                                              \
		printf("\n");                                                     \
		guest_failures++;                                                 \
	} while (0)

/* Checks a condition; prints the condition's text on failure. */
#define CHECK(cond)                                \
	do {                                               \
		if (!(cond))                                     \
			FAIL("check failed: %s", #cond);               \
	} while (0)

/* Evaluates expr (a syscall-like result, -1 and errno on error) and expects it
 * to fail with errno `want`. Prints "label = -1 ENAME". */
#define EXPECT_ERR(label, expr, want)                                        \
	do {                                                                         \
		errno = 0;                                                                 \
		long r_ = (long)(expr);                                                    \
		int e_ = errno;                                                            \
		if (r_ == -1) {                                                            \
			printf("%s = -1 %s\n", label, errname(e_));                              \
			if (e_ != (want))                                                        \
				FAIL("%s: want %s, got %s", label, errname(want), errname(e_));        \
		} else {                                                                   \
			printf("%s = %ld\n", label, r_);                                         \
			FAIL("%s: want -1 %s, got %ld", label, errname(want), r_);               \
		}                                                                          \
	} while (0)

/* Expects expr to succeed (not -1). Prints "label = ok". Yields the value. */
#define EXPECT_OK(label, expr)                                               \
	({                                                                           \
		errno = 0;                                                                 \
		long r_ = (long)(expr);                                                    \
		int e_ = errno;                                                            \
		if (r_ == -1) {                                                            \
			printf("%s = -1 %s\n", label, errname(e_));                              \
			FAIL("%s: want success, got %s", label, errname(e_));                    \
		} else {                                                                   \
			printf("%s = ok\n", label);                                              \
		}                                                                          \
		r_;                                                                        \
	})

/* Expects expr to return exactly `want`. Prints "label = value". */
#define EXPECT_EQ(label, expr, want)                                         \
	do {                                                                         \
		errno = 0;                                                                 \
		long r_ = (long)(expr);                                                    \
		int e_ = errno;                                                            \
		if (r_ == -1 && (want) != -1) {                                            \
			printf("%s = -1 %s\n", label, errname(e_));                              \
			FAIL("%s: want %ld, got -1 %s", label, (long)(want), errname(e_));       \
		} else {                                                                   \
			printf("%s = %ld\n", label, r_);                                         \
			if (r_ != (long)(want))                                                  \
				FAIL("%s: want %ld, got %ld", label, (long)(want), r_);                \
		}                                                                          \
	} while (0)

/* Writes a whole file (created or truncated, mode 0644); aborts on error. */
static inline void put_file(const char *path, const char *data) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("FAIL setup: open %s: %s\n", path, errname(errno));
		exit(2);
	}
	size_t n = strlen(data);
	if (write(fd, data, n) != (ssize_t)n) {
		printf("FAIL setup: write %s\n", path);
		exit(2);
	}
	close(fd);
}

/* Prints the summary line and returns the exit status for main. */
static inline int done(void) {
	if (guest_failures) {
		printf("FAILED: %d check(s)\n", guest_failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}

#endif

/* Task-model helpers (appended). */
#ifndef GUEST_TASK_H
#define GUEST_TASK_H
#include <signal.h>
#include <sys/wait.h>

/* Signal name without "SIG", e.g. "TERM"; "RTMIN+n" for real-time signals. */
static inline const char *guest_signame(int sig) {
	static char buf[4][24];
	static int slot;
	char *b = buf[slot++ & 3];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(b, 24, "RTMIN+%d", sig - SIGRTMIN);
		return b;
	}
	const char *n = sigabbrev_np(sig);
	snprintf(b, 24, "%s", n ? n : "?");
	return b;
}

/* Decodes a wait status: "exited 3", "killed by SIGTERM", "killed by SIGQUIT
 * (core)", "stopped by SIGSTOP", "continued". */
static inline const char *guest_wstatus(int st) {
	static char buf[4][64];
	static int slot;
	char *b = buf[slot++ & 3];
	if (WIFEXITED(st))
		snprintf(b, 64, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, 64, "killed by SIG%s%s", guest_signame(WTERMSIG(st)), WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		snprintf(b, 64, "stopped by SIG%s", guest_signame(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(b, 64, "continued");
	else
		snprintf(b, 64, "unknown 0x%x", st);
	return b;
}

/* waitpid(pid, 0) retried on EINTR; returns the decoded status ("wait
 * failed: ENAME" on error). */
static inline const char *guest_wait(pid_t pid) {
	int st = 0;
	pid_t r;
	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		static char b[48];
		snprintf(b, sizeof b, "wait failed: %s", errname(errno));
		return b;
	}
	return guest_wstatus(st);
}
#endif
