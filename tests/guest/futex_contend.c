/* 200 threads contend on a futex-based mutex (Drepper's three-state lock)
 * guarding a plain counter. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>

#define THREADS 200
#define ITERS 100

static int lock_word;
static long counter;
static int go;

static void lock(void) {
	int c = __sync_val_compare_and_swap(&lock_word, 0, 1);
	if (c == 0)
		return;
	if (c != 2)
		c = __atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		syscall(SYS_futex, &lock_word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		c = __atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE);
	}
}

static void unlock(void) {
	if (__atomic_fetch_sub(&lock_word, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
		syscall(SYS_futex, &lock_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

static void *worker(void *arg) {
	(void)arg;
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	for (int i = 0; i < ITERS; i++) {
		lock();
		long v = counter;
		if ((i & 15) == 0)
			sched_yield();
		counter = v + 1;
		unlock();
	}
	return NULL;
}

int main(void) {
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_t t[THREADS];
	int created = 0;
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], &attr, worker, NULL) == 0)
			created++;
	printf("threads created = %d\n", created);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	for (int i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	printf("final count = %ld (expected %d)\n", counter, THREADS * ITERS);
	CHECK(counter == (long)THREADS * ITERS);
	printf("lock free at the end = %d\n", lock_word == 0);
	return done();
}
