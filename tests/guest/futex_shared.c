/* Shared futexes across fork: MAP_SHARED anonymous and file mappings (even
 * at different addresses) key on the page; a private wake in another process
 * does not reach the waiter. */
#include "guest.h"
#include <linux/futex.h>
#include <sys/mman.h>

static long futex(int *uaddr, int op, int val, long val2, int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

/* Requeue (shared) from `from` to `to` until n waiters have moved. */
static void gather(int *from, int *to, int n) {
	int moved = 0;
	while (moved < n) {
		long r = futex(from, FUTEX_CMP_REQUEUE, 0, 0x7fffffff, to, *from);
		if (r > 0)
			moved += r;
		else
			usleep(1000);
	}
}

int main(void) {
	int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		long r;
		while ((r = futex(&shm[0], FUTEX_WAIT, 0, 0, NULL, 0)) != 0 && errno == EINTR)
			;
		_exit(r == 0 && shm[2] == 42 ? 0 : 1);
	}
	gather(&shm[0], &shm[1], 1);
	printf("child waiter gathered on shared futex\n");
	EXPECT_EQ("FUTEX_WAKE_PRIVATE from parent", futex(&shm[1], FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 0);
	shm[2] = 42;
	EXPECT_EQ("FUTEX_WAKE (shared) from parent", futex(&shm[1], FUTEX_WAKE, 1, 0, NULL, 0), 1);
	printf("child: %s\n", guest_wait(c));

	/* File-backed: parent and child map the same file page at different
	 * addresses. */
	int fd = open("futex-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
	int *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED);
	c = fork();
	if (c == 0) {
		munmap(a, 8192);
		/* Map only the second page, elsewhere. */
		int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
		if (b == MAP_FAILED)
			_exit(2);
		long r;
		while ((r = futex(&b[0], FUTEX_WAIT, 0, 0, NULL, 0)) != 0 && errno == EINTR)
			;
		_exit(r == 0 && b[1] == 7 ? 0 : 1);
	}
	gather(&a[1024], &a[1025], 1);
	a[1025] = 0;
	a[1024 + 1] = 7;
	EXPECT_EQ("wake through another mapping of the file page", futex(&a[1025], FUTEX_WAKE, 1, 0, NULL, 0), 1);
	printf("child: %s\n", guest_wait(c));

	/* A private mapping is private: the child's wait is keyed on its own mm. */
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*priv = 0;
	c = fork();
	if (c == 0) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		long r = futex(priv, FUTEX_WAIT, 0, (long)&ts, NULL, 0);
		_exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
	}
	int woken = 0;
	for (int i = 0; i < 20; i++) {
		woken += futex(priv, FUTEX_WAKE, 1, 0, NULL, 0);
		usleep(1000);
	}
	printf("waking a MAP_PRIVATE futex in another process woke %d\n", woken);
	printf("child (times out): %s\n", guest_wait(c));
	return done();
}
