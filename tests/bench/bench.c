/* Micro-benchmarks for the sandbox ratio report.
 *
 * usage: bench MODE N
 *   getppid   null system call loop (getppid())
 *   openclose open + close of a file
 *   read4k    pread of 4 KiB from a cached file
 *   mmap1m    mmap 1 MiB anonymous, touch every page, munmap
 *   forkwait  fork; the child exits at once; the parent waits
 *   forkexec  fork; the child execs this program (mode "exit"); wait
 *   thread    pthread_create + pthread_join of an empty thread
 *   futexpp   futex ping-pong between two threads (one round trip per op)
 *   pipepp    pipe ping-pong between two processes (one round trip per op)
 *   signal    raise(SIGUSR1) to a handler and return
 *   clock     clock_gettime(CLOCK_MONOTONIC) through the C library (vDSO)
 *   fault     first touch of a page of fresh anonymous memory (page fault)
 * Prints one line: the nanoseconds per iteration, measured with
 * clock_gettime(CLOCK_MONOTONIC) around the loop only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static atomic_int futex_word;
static long pp_rounds;

static void futex_wait(atomic_int *w, int val) {
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *w) {
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The partner of futexpp: waits for 1, answers 0. */
static void *futex_partner(void *arg) {
	(void)arg;
	for (long i = 0; i < pp_rounds; i++) {
		while (atomic_load(&futex_word) != 1)
			futex_wait(&futex_word, 0);
		atomic_store(&futex_word, 0);
		futex_wake(&futex_word);
	}
	return NULL;
}

static void *empty_thread(void *arg) {
	return arg;
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

static int die(const char *what) {
	perror(what);
	return 2;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s getppid|openclose|read4k|mmap1m N\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "exit") == 0)
		return 0;
	long n = atol(argv[2]);
	if (n <= 0) {
		fprintf(stderr, "N must be positive\n");
		return 2;
	}
	const char *file = "bench-data.bin";
	static char buf[4096];
	if (strcmp(mode, "openclose") == 0 || strcmp(mode, "read4k") == 0) {
		int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return die("create data file");
		memset(buf, 'b', sizeof buf);
		for (int i = 0; i < 16; i++)
			if (write(fd, buf, sizeof buf) != (long)sizeof buf)
				return die("write data file");
		close(fd);
	}
	long long start = 0, end = 0;
	if (strcmp(mode, "getppid") == 0) {
		start = now_ns();
		/* The C library's getppid: `mov $nr, %eax; syscall`, the common
		 * call-site shape (glibc never caches getppid). */
		for (long i = 0; i < n; i++)
			getppid();
		end = now_ns();
	} else if (strcmp(mode, "openclose") == 0) {
		start = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = open(file, O_RDONLY);
			if (fd < 0)
				return die("open");
			close(fd);
		}
		end = now_ns();
	} else if (strcmp(mode, "read4k") == 0) {
		int fd = open(file, O_RDONLY);
		if (fd < 0)
			return die("open");
		start = now_ns();
		for (long i = 0; i < n; i++)
			if (pread(fd, buf, sizeof buf, (i % 16) * 4096) != (long)sizeof buf)
				return die("pread");
		end = now_ns();
		close(fd);
	} else if (strcmp(mode, "mmap1m") == 0) {
		const long size = 1 << 20;
		start = now_ns();
		for (long i = 0; i < n; i++) {
			volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return die("mmap");
			for (long off = 0; off < size; off += 4096)
				p[off] = 1;
			munmap((void *)p, size);
		}
		end = now_ns();
	} else if (strcmp(mode, "forkwait") == 0 || strcmp(mode, "forkexec") == 0) {
		int exec = strcmp(mode, "forkexec") == 0;
		start = now_ns();
		for (long i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return die("fork");
			if (pid == 0) {
				if (exec) {
					char *args[] = {argv[0], "exit", "0", NULL};
					execv("/proc/self/exe", args);
				}
				_exit(0);
			}
			int status;
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				return die("waitpid");
		}
		end = now_ns();
	} else if (strcmp(mode, "thread") == 0) {
		start = now_ns();
		for (long i = 0; i < n; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, empty_thread, NULL) != 0)
				return die("pthread_create");
			pthread_join(t, NULL);
		}
		end = now_ns();
	} else if (strcmp(mode, "futexpp") == 0) {
		pp_rounds = n;
		pthread_t t;
		if (pthread_create(&t, NULL, futex_partner, NULL) != 0)
			return die("pthread_create");
		start = now_ns();
		for (long i = 0; i < n; i++) {
			atomic_store(&futex_word, 1);
			futex_wake(&futex_word);
			while (atomic_load(&futex_word) != 0)
				futex_wait(&futex_word, 1);
		}
		end = now_ns();
		pthread_join(t, NULL);
	} else if (strcmp(mode, "pipepp") == 0) {
		int to[2], from[2];
		if (pipe(to) || pipe(from))
			return die("pipe");
		pid_t pid = fork();
		if (pid < 0)
			return die("fork");
		char c = 'x';
		if (pid == 0) {
			for (long i = 0; i < n; i++) {
				if (read(to[0], &c, 1) != 1 || write(from[1], &c, 1) != 1)
					_exit(1);
			}
			_exit(0);
		}
		start = now_ns();
		for (long i = 0; i < n; i++) {
			if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
				return die("pipe ping-pong");
		}
		end = now_ns();
		waitpid(pid, NULL, 0);
	} else if (strcmp(mode, "clock") == 0) {
		struct timespec t;
		start = now_ns();
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		end = now_ns();
	} else if (strcmp(mode, "fault") == 0) {
		long size = n * 4096;
		volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return die("mmap");
		start = now_ns();
		for (long off = 0; off < size; off += 4096)
			p[off] = 1;
		end = now_ns();
		munmap((void *)p, size);
	} else if (strcmp(mode, "signal") == 0) {
		signal(SIGUSR1, on_usr1);
		start = now_ns();
		for (long i = 0; i < n; i++)
			raise(SIGUSR1);
		end = now_ns();
		if (handled != n)
			return die("signal count");
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	if (strcmp(mode, "openclose") == 0 || strcmp(mode, "read4k") == 0)
		unlink(file);
	printf("%lld\n", (end - start) / n);
	return 0;
}
