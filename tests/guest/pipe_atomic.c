/* PIPE_BUF atomicity: two processes each write 64 chunks of 4096 bytes into
 * one pipe; the reader sees every 4096-byte block made of a single writer's
 * bytes. */
#include "guest.h"

#define CHUNKS 64

static void writer(int fd, char ch) {
	char buf[PIPE_BUF];
	memset(buf, ch, sizeof buf);
	for (int i = 0; i < CHUNKS; i++)
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			_exit(1);
	_exit(0);
}

int main(void) {
	printf("PIPE_BUF = %d\n", PIPE_BUF);
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) {
		close(p[0]);
		writer(p[1], 'A');
	}
	pid_t b = fork();
	if (b == 0) {
		close(p[0]);
		writer(p[1], 'B');
	}
	close(p[1]);
	static char all[2 * CHUNKS * PIPE_BUF + 1];
	long got = 0;
	ssize_t n;
	while ((n = read(p[0], all + got, sizeof all - got)) > 0)
		got += n;
	printf("read %ld bytes\n", got);
	int na = 0, nb = 0, mixed = 0;
	for (long off = 0; off + PIPE_BUF <= got; off += PIPE_BUF) {
		char first = all[off];
		int same = 1;
		for (int i = 1; i < PIPE_BUF; i++)
			if (all[off + i] != first) {
				same = 0;
				break;
			}
		if (!same)
			mixed++;
		else if (first == 'A')
			na++;
		else if (first == 'B')
			nb++;
	}
	printf("blocks: A %d, B %d, mixed %d\n", na, nb, mixed);
	CHECK(mixed == 0);
	printf("writer A: %s\n", guest_wait(a));
	printf("writer B: %s\n", guest_wait(b));
	return done();
}
