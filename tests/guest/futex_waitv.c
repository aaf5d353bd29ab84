/* futex_waitv (Linux 5.16): wait on several futexes at once; the return
 * value is the index of the woken one; value mismatch, timeout, validation. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef FUTEX2_PRIVATE
#define FUTEX2_PRIVATE FUTEX_PRIVATE_FLAG
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static uint32_t fa, fb, fc;

static long waitv(struct futex_waitv *w, unsigned n, struct timespec *ts) {
	return syscall(SYS_futex_waitv, w, n, 0, ts, CLOCK_MONOTONIC);
}

static struct timespec in_ms(long ms) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += ms * 1000000;
	while (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static volatile long result = -2;

static void *waiter(void *arg) {
	(void)arg;
	struct futex_waitv w[3] = {
	    {0, (uintptr_t)&fa, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0},
	    {0, (uintptr_t)&fb, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0},
	    {0, (uintptr_t)&fc, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0},
	};
	long r;
	do
		r = waitv(w, 3, NULL);
	while (r < 0 && errno == EINTR);
	result = r;
	return NULL;
}

int main(void) {
	struct futex_waitv w[2] = {
	    {0, (uintptr_t)&fa, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0},
	    {0, (uintptr_t)&fb, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0},
	};
	struct timespec dl = in_ms(20);
	EXPECT_ERR("futex_waitv(timeout 20ms)", waitv(w, 2, &dl), ETIMEDOUT);
	fb = 1;
	dl = in_ms(20);
	EXPECT_ERR("futex_waitv(second value differs)", waitv(w, 2, &dl), EAGAIN);
	fb = 0;
	EXPECT_ERR("futex_waitv(nr 0)", waitv(w, 0, NULL), EINVAL);
	EXPECT_ERR("futex_waitv(nr 129)", waitv(w, 129, NULL), EINVAL);
	EXPECT_ERR("futex_waitv(flags != 0)", syscall(SYS_futex_waitv, w, 2, 1, NULL, CLOCK_MONOTONIC), EINVAL);
	w[1].__reserved = 1;
	EXPECT_ERR("futex_waitv(reserved set)", waitv(w, 2, NULL), EINVAL);
	w[1].__reserved = 0;
	w[1].flags = 0x3; /* 64-bit size: unsupported */
	EXPECT_ERR("futex_waitv(size u64)", waitv(w, 2, NULL), EINVAL);
	w[1].flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
	dl = in_ms(10);
	EXPECT_ERR("futex_waitv(CLOCK_PROCESS_CPUTIME_ID)", syscall(SYS_futex_waitv, w, 2, 0, &dl, CLOCK_PROCESS_CPUTIME_ID),
	           EINVAL);
	EXPECT_ERR("futex_waitv(bad address)", waitv((struct futex_waitv *)8, 2, NULL), EFAULT);

	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	/* Wake futex #2 (fc) until the waiter has been woken by it. */
	long woke = 0;
	while (woke == 0) {
		woke = syscall(SYS_futex, &fc, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		if (woke == 0)
			usleep(1000);
	}
	pthread_join(t, NULL);
	printf("FUTEX_WAKE on the third futex woke %ld, futex_waitv returned index %ld\n", woke, result);
	return done();
}
