/* Robust futexes: a thread or process dies holding a robust mutex and the
 * next locker gets EOWNERDEAD; get_robust_list/set_robust_list checks. */
#include "guest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>

static pthread_mutex_t *m;

static void *die_holding(void *arg) {
	(void)arg;
	pthread_mutex_lock(m);
	return NULL; /* exits without unlocking */
}

int main(void) {
	struct robust_list_head *head = NULL;
	size_t len = 0;
	EXPECT_EQ("get_robust_list(0)", syscall(SYS_get_robust_list, 0, &head, &len), 0);
	printf("glibc registered a head = %d, len = %zu\n", head != NULL, len);
	EXPECT_ERR("set_robust_list(bad len)", syscall(SYS_set_robust_list, head, 8), EINVAL);
	EXPECT_ERR("get_robust_list(nonexistent)", syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len), ESRCH);

	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(pthread_mutex_init(m, &a) == 0);

	pthread_t t;
	pthread_create(&t, NULL, die_holding, NULL);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(m);
	printf("lock after holder thread died = %s\n", errname(r));
	printf("owner-died bit in futex word = %d\n", !!(*(int *)m & FUTEX_OWNER_DIED));
	EXPECT_EQ("pthread_mutex_consistent", pthread_mutex_consistent(m), 0);
	EXPECT_EQ("unlock", pthread_mutex_unlock(m), 0);
	printf("relock = %s\n", errname(pthread_mutex_lock(m)));
	pthread_mutex_unlock(m);

	/* A process dies holding it (shared mapping). */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_mutex_lock(m);
		_exit(3);
	}
	printf("holder process: %s\n", guest_wait(c));
	r = pthread_mutex_lock(m);
	printf("lock after holder process died = %s\n", errname(r));
	/* Unlocking without pthread_mutex_consistent makes it unusable. */
	pthread_mutex_unlock(m);
	printf("lock after unlock without consistent = %s\n", errname(pthread_mutex_lock(m)));

	/* A process blocked on the lock is woken with EOWNERDEAD. */
	pthread_mutex_t *m2 = (pthread_mutex_t *)((char *)m + 256);
	CHECK(pthread_mutex_init(m2, &a) == 0);
	int *flag = (int *)((char *)m + 1024);
	int p[2];
	CHECK(pipe(p) == 0);
	c = fork();
	if (c == 0) {
		pthread_mutex_lock(m2);
		__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
		char x;
		/* Die (killed) once the parent says so. */
		if (read(p[0], &x, 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		usleep(1000);
	pid_t killer = fork();
	if (killer == 0) {
		usleep(20000);
		kill(c, SIGKILL);
		_exit(0);
	}
	r = pthread_mutex_lock(m2); /* blocks until the holder is killed */
	printf("blocked locker woken with %s\n", errname(r));
	printf("holder: %s\n", guest_wait(c));
	guest_wait(killer);
	return done();
}
