/* FUTEX_WAIT/WAKE basics: wrong value EAGAIN, relative timeout ETIMEDOUT,
 * wake counts (waiters are counted by requeueing them), bad arguments. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

static int f1, f2;
static int woke;

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static void *waiter(void *arg) {
	(void)arg;
	long r;
	do
		r = futex(&f1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	while (r != 0 && errno == EINTR);
	__atomic_fetch_add(&woke, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Moves every waiter of f1 to f2 until `n` have been moved in total. */
static void collect(int n) {
	int moved = 0;
	while (moved < n) {
		long r = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(long)0x7fffffff, &f2, 0);
		if (r > 0)
			moved += r;
		else
			usleep(1000);
	}
}

int main(void) {
	int v = 5;
	EXPECT_ERR("FUTEX_WAIT(wrong value)", futex(&v, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
	EXPECT_ERR("FUTEX_WAIT_PRIVATE(wrong value)", futex(&v, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN);
	struct timespec ts = {0, 20 * 1000 * 1000}, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ERR("FUTEX_WAIT(20ms timeout)", futex(&v, FUTEX_WAIT, 5, &ts, NULL, 0), ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("waited at least 20ms = %d\n", ms >= 19);
	struct timespec zero = {0, 0};
	EXPECT_ERR("FUTEX_WAIT(zero timeout)", futex(&v, FUTEX_WAIT, 5, &zero, NULL, 0), ETIMEDOUT);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERR("FUTEX_WAIT(bad timespec)", futex(&v, FUTEX_WAIT, 5, &bad, NULL, 0), EINVAL);
	EXPECT_ERR("FUTEX_WAIT(misaligned)", futex((int *)((char *)&v + 1), FUTEX_WAIT, 5, NULL, NULL, 0), EINVAL);
	EXPECT_ERR("FUTEX_WAIT(bad address)", futex((int *)8, FUTEX_WAIT, 5, NULL, NULL, 0), EFAULT);
	EXPECT_ERR("futex(bad op)", futex(&v, 99, 0, NULL, NULL, 0), ENOSYS);
	EXPECT_EQ("FUTEX_WAKE(no waiters)", futex(&v, FUTEX_WAKE, 10, NULL, NULL, 0), 0);

	pthread_t t[5];
	for (int i = 0; i < 5; i++)
		pthread_create(&t[i], NULL, waiter, NULL);
	collect(5);
	printf("5 waiters requeued to f2\n");
	EXPECT_EQ("FUTEX_WAKE(f1) after requeue", futex(&f1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 0);
	EXPECT_EQ("FUTEX_WAKE(f2, 2)", futex(&f2, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2);
	EXPECT_EQ("FUTEX_WAKE(f2, 10)", futex(&f2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 3);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	printf("threads woken = %d\n", woke);

	/* FUTEX_REQUEUE (no compare) and CMP_REQUEUE with a stale value. */
	woke = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, waiter, NULL);
	collect(4);
	f2 = 7;
	EXPECT_ERR("FUTEX_CMP_REQUEUE(stale value)", futex(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &f1, 6), EAGAIN);
	EXPECT_EQ("FUTEX_CMP_REQUEUE(wake 1, requeue 2)", futex(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &f1, 7), 3);
	EXPECT_EQ("FUTEX_REQUEUE(wake 0, requeue all back)", futex(&f1, FUTEX_REQUEUE_PRIVATE, 0, (void *)100L, &f2, 0), 2);
	EXPECT_EQ("FUTEX_WAKE(f2, all)", futex(&f2, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0), 3);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("threads woken = %d\n", woke);
	EXPECT_ERR("FUTEX_CMP_REQUEUE(same futex... negative count)",
	           futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, -1, (void *)1L, &f2, 0), EINVAL);
	return done();
}
