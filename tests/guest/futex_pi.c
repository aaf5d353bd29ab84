/* Priority-inheritance futexes: FUTEX_LOCK_PI/TRYLOCK_PI/UNLOCK_PI on an
 * uncontended word, contention sets FUTEX_WAITERS and unlock hands the lock
 * over, a nonexistent owner. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>

static long futex(uint32_t *uaddr, int op, int val) {
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static uint32_t lockw;
static volatile int got;

static void *contender(void *arg) {
	(void)arg;
	long r = futex(&lockw, FUTEX_LOCK_PI_PRIVATE, 0);
	got = r == 0 && (lockw & FUTEX_TID_MASK) == (uint32_t)syscall(SYS_gettid);
	futex(&lockw, FUTEX_UNLOCK_PI_PRIVATE, 0);
	return NULL;
}

int main(void) {
	uint32_t tid = syscall(SYS_gettid);
	EXPECT_EQ("FUTEX_LOCK_PI(free word)", futex(&lockw, FUTEX_LOCK_PI_PRIVATE, 0), 0);
	printf("word holds our tid = %d\n", lockw == tid);
	EXPECT_ERR("FUTEX_LOCK_PI(own lock)", futex(&lockw, FUTEX_LOCK_PI_PRIVATE, 0), EDEADLK);
	EXPECT_ERR("FUTEX_TRYLOCK_PI(own lock)", futex(&lockw, FUTEX_TRYLOCK_PI_PRIVATE, 0), EDEADLK);
	EXPECT_EQ("FUTEX_UNLOCK_PI", futex(&lockw, FUTEX_UNLOCK_PI_PRIVATE, 0), 0);
	printf("word after unlock = %u\n", lockw);
	EXPECT_ERR("FUTEX_UNLOCK_PI(not owner)", futex(&lockw, FUTEX_UNLOCK_PI_PRIVATE, 0), EPERM);
	EXPECT_EQ("FUTEX_TRYLOCK_PI(free)", futex(&lockw, FUTEX_TRYLOCK_PI_PRIVATE, 0), 0);
	printf("word holds our tid = %d\n", lockw == tid);

	/* A contender blocks; the kernel marks FUTEX_WAITERS. */
	pthread_t t;
	pthread_create(&t, NULL, contender, NULL);
	for (int i = 0; i < 2000 && !(__atomic_load_n(&lockw, __ATOMIC_SEQ_CST) & FUTEX_WAITERS); i++)
		usleep(1000);
	printf("FUTEX_WAITERS set while contended = %d\n", !!(lockw & FUTEX_WAITERS));
	EXPECT_EQ("FUTEX_UNLOCK_PI hands over", futex(&lockw, FUTEX_UNLOCK_PI_PRIVATE, 0), 0);
	pthread_join(t, NULL);
	printf("contender got the lock with its tid in the word = %d\n", got);
	printf("word after contender unlock = %u\n", lockw);

	/* A word naming a tid that does not exist. */
	lockw = 0x3ffffff0;
	EXPECT_ERR("FUTEX_LOCK_PI(owner tid does not exist)", futex(&lockw, FUTEX_LOCK_PI_PRIVATE, 0), ESRCH);
	printf("owner tid still in the word = %d\n", (lockw & FUTEX_TID_MASK) == 0x3ffffff0);
	lockw = 0;
	return done();
}
