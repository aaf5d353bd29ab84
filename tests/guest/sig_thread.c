/* Signals and threads: tgkill reaches the named thread; a process-directed
 * signal goes to a thread that does not block it; per-thread masks;
 * thread-directed pending signals are private, process ones shared. */
#include "guest.h"
#include <pthread.h>

static volatile pid_t handled_by;
static volatile int handled;
static pid_t worker_tid;
static int to_worker[2], from_worker[2];

static void handler(int sig) {
	(void)sig;
	handled_by = syscall(SYS_gettid);
	handled++;
}

static void *worker(void *arg) {
	(void)arg;
	worker_tid = syscall(SYS_gettid);
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	char c;
	/* Each command byte: 'p' = report pending set, 'q' = quit. */
	while (read(to_worker[0], &c, 1) == 1) {
		if (c == 'q')
			break;
		if (c == 'b') {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGUSR2);
			pthread_sigmask(SIG_BLOCK, &s, NULL);
		}
		if (c == 'p') {
			sigset_t p;
			sigpending(&p);
			char r = (char)sigismember(&p, SIGUSR2);
			if (write(from_worker[1], &r, 1) != 1)
				break;
			continue;
		}
		if (write(from_worker[1], "k", 1) != 1)
			break;
	}
	return NULL;
}

static void cmd(char c) {
	char r;
	CHECK(write(to_worker[1], &c, 1) == 1);
	CHECK(read(from_worker[0], &r, 1) == 1);
}

int main(void) {
	CHECK(pipe(to_worker) == 0 && pipe(from_worker) == 0);
	signal(SIGUSR1, handler);
	signal(SIGUSR2, handler);
	/* Main blocks USR1 and USR2; the worker starts with everything
	 * unblocked. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	cmd('k'); /* worker is up */
	pid_t main_tid = syscall(SYS_gettid);

	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 2000 && !handled; i++)
		usleep(1000);
	printf("process-directed SIGUSR1 handled by the unblocked worker = %d\n", handled_by == worker_tid);
	handled = 0;

	syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
	for (int i = 0; i < 2000 && !handled; i++)
		usleep(1000);
	printf("tgkill(worker) handled by worker = %d\n", handled_by == worker_tid);
	handled = 0;

	/* A thread-directed signal to main (blocked there) stays pending on main
	 * and is not taken by the worker. */
	syscall(SYS_tgkill, getpid(), main_tid, SIGUSR2);
	cmd('k');
	sigset_t pend;
	sigpending(&pend);
	printf("tgkill(main) while main blocks it: pending in main %d, handled %d\n", sigismember(&pend, SIGUSR2), handled);
	cmd('b'); /* worker now blocks USR2 too */
	CHECK(write(to_worker[1], "p", 1) == 1);
	char r;
	CHECK(read(from_worker[0], &r, 1) == 1);
	printf("worker's sigpending shows main's private USR2 = %d\n", r);
	/* Process-directed USR2 while both block it: shared pending, visible to
	 * both threads. */
	kill(getpid(), SIGUSR2);
	CHECK(write(to_worker[1], "p", 1) == 1);
	CHECK(read(from_worker[0], &r, 1) == 1);
	printf("after kill(): worker's sigpending shows shared USR2 = %d\n", r);
	/* Unblocking in main delivers both (private then shared, coalesced per
	 * queue). */
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	printf("main unblocked USR2: handled %d time(s) by main %d\n", handled, handled_by == main_tid);
	handled = 0;

	/* tgkill with a tid from another thread group fails. */
	EXPECT_ERR("tgkill(pid, wrong tid)", syscall(SYS_tgkill, getpid(), 0x3ffffff0, 0), ESRCH);
	CHECK(write(to_worker[1], "q", 1) == 1);
	pthread_join(t, NULL);
	return done();
}
