/* Micro-benchmarks for the sandbox ratio report.
 *
 * usage: bench MODE N
 *   getppid   null system call loop
 *   openclose open + close of a file
 *   read4k    pread of 4 KiB from a cached file
 *   mmap1m    mmap 1 MiB anonymous, touch every page, munmap
 * Prints one line: the nanoseconds per iteration, measured with
 * clock_gettime(CLOCK_MONOTONIC) around the loop only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
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
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
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
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	if (strcmp(mode, "openclose") == 0 || strcmp(mode, "read4k") == 0)
		unlink(file);
	printf("%lld\n", (end - start) / n);
	return 0;
}
