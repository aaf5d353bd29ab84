/* FUTEX_WAKE_OP: the operation on uaddr2 (SET/ADD/OR/ANDN/XOR, shifted
 * oparg) and the comparison that decides whether uaddr2's waiters wake. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>

static int f1, f2, park;

static long futex(int *uaddr, int op, int val, long val2, int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static void *waiter(void *arg) {
	int *which = arg;
	int expect = *which;
	while (futex(which, FUTEX_WAIT_PRIVATE, expect, 0, NULL, 0) != 0 && errno == EINTR)
		;
	return NULL;
}

/* Waiters park on `park`, then are requeued onto `dst` once all are there. */
static void *parked(void *arg) {
	(void)arg;
	while (futex(&park, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0) != 0 && errno == EINTR)
		;
	return NULL;
}

static void move_parked(int n, int *dst) {
	int moved = 0;
	while (moved < n) {
		long r = futex(&park, FUTEX_CMP_REQUEUE_PRIVATE, 0, n - moved, dst, 0);
		if (r > 0)
			moved += r;
		else
			usleep(1000);
	}
}

static void op(const char *label, int init, int encoded, int want_ret) {
	f2 = init;
	long r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, encoded);
	printf("%s: ret = %ld, f2 %d -> %d\n", label, r, init, f2);
	if (r != want_ret)
		FAIL("%s: want %d", label, want_ret);
}

int main(void) {
	(void)waiter;
	op("SET 5", 1, FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0), 0);
	op("ADD 3", 10, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 0), 0);
	op("OR 6", 9, FUTEX_OP(FUTEX_OP_OR, 6, FUTEX_OP_CMP_EQ, 0), 0);
	op("ANDN 3", 15, FUTEX_OP(FUTEX_OP_ANDN, 3, FUTEX_OP_CMP_EQ, 0), 0);
	op("XOR 5", 12, FUTEX_OP(FUTEX_OP_XOR, 5, FUTEX_OP_CMP_EQ, 0), 0);
	op("SET 1<<4 (OPARG_SHIFT)", 0, FUTEX_OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_EQ, 0), 0);

	/* Two waiters on f1, two on f2. */
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, parked, NULL);
	move_parked(2, &f1);
	move_parked(2, &f2);
	/* old f2 == 0 is false (it is 7): only f1's waiter wakes. */
	f2 = 7;
	long r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
	printf("WAKE_OP cmp false: woke %ld, f2 = %d\n", r, f2);
	/* old f2 (8) > 7: wake one on f1 and one on f2. */
	r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 7));
	printf("WAKE_OP cmp true: woke %ld, f2 = %d\n", r, f2);
	r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 0, 5, &f2, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_NE, 1));
	printf("WAKE_OP nr_wake 0, cmp true: woke %ld\n", r);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_ERR("WAKE_OP(uaddr2 bad)", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (int *)8, 0), EFAULT);
	EXPECT_ERR("WAKE_OP(bad op)", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(7, 0, 0, 0)), ENOSYS);
	return done();
}
