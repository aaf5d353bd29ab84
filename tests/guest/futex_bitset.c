/* FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET: bit matching, absolute timeouts on
 * CLOCK_MONOTONIC and CLOCK_REALTIME, bitset 0 rejected. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

static int park, f;

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static void *waiter(void *arg) {
	unsigned bits = (unsigned)(long)arg;
	while (futex(&park, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bits) != 0 && errno == EINTR)
		;
	return NULL;
}

int main(void) {
	int v = 0;
	EXPECT_ERR("WAIT_BITSET(bitset 0)", futex(&v, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL);
	EXPECT_ERR("WAKE_BITSET(bitset 0)", futex(&v, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERR("WAIT_BITSET(wrong value)", futex(&v, FUTEX_WAIT_BITSET, 1, NULL, NULL, ~0), EAGAIN);
	struct timespec now, dl;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dl = now;
	dl.tv_nsec += 20 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	EXPECT_ERR("WAIT_BITSET(absolute monotonic +20ms)", futex(&v, FUTEX_WAIT_BITSET, 0, &dl, NULL, ~0), ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("deadline passed = %d\n", now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
	struct timespec past = {1, 0};
	EXPECT_ERR("WAIT_BITSET(deadline in the past)", futex(&v, FUTEX_WAIT_BITSET, 0, &past, NULL, ~0), ETIMEDOUT);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 10 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	EXPECT_ERR("WAIT_BITSET|CLOCK_REALTIME(+10ms)",
	           futex(&v, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &dl, NULL, ~0), ETIMEDOUT);
	EXPECT_ERR("WAIT|CLOCK_REALTIME", futex(&v, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &(struct timespec){0, 1000}, NULL, 0),
	           ENOSYS);
	EXPECT_ERR("WAKE|CLOCK_REALTIME", futex(&v, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);

	/* Three waiters with bitsets 1, 2, 4; gather them on f via requeue. */
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, waiter, (void *)(long)(1 << i));
	int moved = 0;
	while (moved < 3) {
		long r = futex(&park, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)0x7fffffffL, &f, 0);
		if (r > 0)
			moved += r;
		else
			usleep(1000);
	}
	EXPECT_EQ("WAKE_BITSET(8) matches nobody", futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 8), 0);
	EXPECT_EQ("WAKE_BITSET(2) wakes one", futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2), 1);
	EXPECT_EQ("WAKE_BITSET(2) again wakes none", futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2), 0);
	EXPECT_EQ("WAKE_BITSET(5, at most 1)", futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 5), 1);
	EXPECT_EQ("plain WAKE matches any bitset", futex(&f, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("all joined\n");
	return done();
}
