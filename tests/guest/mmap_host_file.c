/* Mappings of a large file the host provides (libc, several hundred KiB):
 * every page of a private and a shared read-only mapping reads as the file
 * does, whatever order pages are first touched in; a mapping at an offset;
 * the kernel reading a never-touched page (write from it); mprotect to
 * writable and a write that stays private; PROT_NONE and back; a child
 * touching pages its parent never did; a touch past the end of the file is
 * SIGBUS; sixty files mapped at once, and a fork of them all. */
#include "guest.h"
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PG 4096L

static const char *const candidates[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/lib/x86_64-linux-gnu/libc.so.6",
};

static sigjmp_buf jump;

static void on_bus(int sig) {
	siglongjmp(jump, sig);
}

/* How many pages of `map` (covering file bytes from `off`, `len` long)
 * differ from what pread returns, visiting pages in a scattered order. */
static long mismatches(int fd, const char *map, long off, long len) {
	static char buf[PG];
	long pages = (len + PG - 1) / PG, bad = 0;
	for (long k = 0; k < pages; k++) {
		long i = (k * 37) % pages; /* 37 is prime to most page counts */
		if (pages % 37 == 0)
			i = k;
		long n = len - i * PG < PG ? len - i * PG : PG;
		if (pread(fd, buf, n, off + i * PG) != n || memcmp(buf, map + i * PG, n) != 0)
			bad++;
	}
	return bad;
}

/* Maps the first page of up to 60 files of a directory at once, then checks
 * every mapping against the file. */
static void many_files(const char *dir) {
	enum { MAX = 60 };
	static char *maps[MAX];
	static int fds[MAX];
	static char path[4096], buf[PG];
	int n = 0;
	long bad = 0;
	DIR *d = opendir(dir);
	if (!d) {
		FAIL("opendir(%s)", dir);
		return;
	}
	struct dirent *e;
	while (n < MAX && (e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		char *m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			close(fd);
			continue;
		}
		maps[n] = m;
		fds[n++] = fd;
	}
	closedir(d);
	/* A child gets all sixty mappings at once. */
	pid_t child = fork();
	if (child == 0) {
		long cbad = 0;
		for (int i = 0; i < n; i++) {
			ssize_t got = pread(fds[i], buf, PG, 0);
			if (got < 0 || memcmp(buf, maps[i], got) != 0)
				cbad++;
		}
		_exit(cbad == 0 ? 0 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	printf("many files: child saw them all = %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < n; i++) {
		ssize_t got = pread(fds[i], buf, PG, 0);
		if (got < 0 || memcmp(buf, maps[i], got) != 0)
			bad++;
		munmap(maps[i], PG);
		close(fds[i]);
	}
	printf("many files: at least 50 = %d, mismatched = %ld\n", n >= 50, bad);
}

int main(void) {
	int fd = -1;
	for (unsigned i = 0; i < sizeof candidates / sizeof *candidates && fd < 0; i++)
		fd = open(candidates[i], O_RDONLY);
	EXPECT_OK("open(libc)", fd);
	if (fd < 0)
		return done();
	struct stat st;
	EXPECT_OK("fstat", fstat(fd, &st));
	long size = st.st_size;
	printf("file spans more than 256 KiB = %d\n", size > 256 * 1024);

	/* A private read-only mapping of the whole file. */
	char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_OK("mmap(private, read)", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return done();

	/* The kernel reads a page no one touched yet: write it to a pipe. */
	int pp[2];
	EXPECT_OK("pipe", pipe(pp));
	long mid = (size / 2) & ~(PG - 1);
	char got[64], want[64];
	EXPECT_EQ("write(from untouched page)", write(pp[1], p + mid + 100, 64), 64);
	EXPECT_EQ("read(pipe)", read(pp[0], got, 64), 64);
	EXPECT_EQ("pread(same bytes)", pread(fd, want, 64, mid + 100), 64);
	printf("pipe bytes match file = %d\n", memcmp(got, want, 64) == 0);

	/* A child touches pages its parent never did. */
	pid_t child = fork();
	if (child == 0)
		_exit(mismatches(fd, p, 0, size) == 0 ? 0 : 1);
	int status = 0;
	EXPECT_EQ("waitpid(child) is the child", waitpid(child, &status, 0) == child, 1);
	printf("child saw the file = %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("private mapping mismatched pages = %ld\n", mismatches(fd, p, 0, size));

	/* At an offset, touched backwards from the end. */
	long off = 75 * PG, len = size - off > 300 * 1024 ? 300 * 1024 : size - off;
	char *q = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, off);
	EXPECT_OK("mmap(at offset)", q == MAP_FAILED ? -1 : 0);
	if (q != MAP_FAILED) {
		long bad = 0;
		for (long i = (len - 1) / PG; i >= 0; i--) {
			char b;
			if (pread(fd, &b, 1, off + i * PG) != 1 || b != q[i * PG])
				bad++;
		}
		printf("offset mapping mismatched pages = %ld\n", bad);
		EXPECT_OK("munmap(offset)", munmap(q, len));
	}

	/* A shared read-only mapping. */
	char *s = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_OK("mmap(shared, read)", s == MAP_FAILED ? -1 : 0);
	if (s != MAP_FAILED) {
		printf("shared mapping mismatched pages = %ld\n", mismatches(fd, s, 0, size));
		EXPECT_OK("munmap(shared)", munmap(s, size));
	}

	/* Writable after mprotect: the write is private to the mapping. */
	char *w = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_OK("mmap(private, for writing)", w == MAP_FAILED ? -1 : 0);
	if (w != MAP_FAILED) {
		long at = ((size * 3) / 4) & ~(PG - 1);
		EXPECT_OK("mprotect(read|write)", mprotect(w + at, 2 * PG, PROT_READ | PROT_WRITE));
		char before = w[at + PG + 7];
		w[at + 5] = (char)(w[at + 5] + 1);
		char b = 0;
		EXPECT_EQ("pread(written byte)", pread(fd, &b, 1, at + 5), 1);
		printf("write visible in mapping = %d, file unchanged = %d\n", w[at + 5] == (char)(b + 1),
		       w[at + 5] != b);
		printf("neighbour page intact = %d\n", before == w[at + PG + 7]);
		EXPECT_OK("mprotect(none)", mprotect(w, 4 * PG, PROT_NONE));
		EXPECT_OK("mprotect(read again)", mprotect(w, 4 * PG, PROT_READ));
		printf("after PROT_NONE and back mismatched pages = %ld\n", mismatches(fd, w, 0, 4 * PG));
		EXPECT_OK("munmap(written)", munmap(w, size));
	}

	/* Past the end of the file: the last partial page is readable (zero
	 * past the end), the page after it is SIGBUS. */
	long pages = (size + PG - 1) / PG;
	char *e = mmap(NULL, (pages + 1) * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_OK("mmap(past the end)", e == MAP_FAILED ? -1 : 0);
	if (e != MAP_FAILED) {
		if (size % PG)
			printf("tail past the end reads zero = %d\n", e[size] == 0);
		else
			printf("tail past the end reads zero = 1\n");
		signal(SIGBUS, on_bus);
		int sig = sigsetjmp(jump, 1);
		if (sig == 0) {
			volatile char c = e[pages * PG];
			(void)c;
			printf("touch past the end: no signal\n");
		} else {
			printf("touch past the end: signal %d\n", sig);
		}
		EXPECT_OK("munmap(past the end)", munmap(e, (pages + 1) * PG));
	}
	EXPECT_OK("munmap(private)", munmap(p, size));
	many_files("/usr/lib/x86_64-linux-gnu");
	return done();
}
