/* Thread exits: exit_group from a thread ends the process; SYS_exit in a
 * thread ends only that thread; the leader can pthread_exit first while
 * another thread keeps running; the last thread's exit code is the status. */
#include "guest.h"
#include <pthread.h>

static int pfd[2];

static void *do_exit_group(void *arg) {
	syscall(SYS_exit_group, (int)(long)arg);
	return NULL;
}

static void *blocker(void *arg) {
	(void)arg;
	char c;
	if (read(pfd[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void *do_exit_thread(void *arg) {
	(void)arg;
	syscall(SYS_exit, 77);
	return NULL;
}

static pthread_t leader;

static void *survivor(void *arg) {
	(void)arg;
	/* Wait for the leader to be gone: joining a pthread_exit'ed leader works. */
	pthread_join(leader, NULL);
	printf("  survivor: still running after leader exit, same pid = %d\n", getpid() == (pid_t)(long)arg);
	fflush(stdout);
	exit(4);
}

static void *ret_thread(void *arg) {
	return arg;
}

int main(void) {
	CHECK(pipe(pfd) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t1, t2;
		pthread_create(&t1, NULL, blocker, NULL);
		pthread_create(&t2, NULL, do_exit_group, (void *)3L);
		char c;
		/* Blocks forever: the write end is open in this process too. */
		if (read(pfd[0], &c, 1) < 0)
			_exit(90);
		_exit(91);
	}
	printf("exit_group(3) from a thread: %s\n", guest_wait(pid));

	pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, do_exit_thread, NULL);
		/* The thread's exit(77) only ends the thread; glibc's join still works
		 * because the kernel clears the tid. */
		pthread_join(t, NULL);
		printf("  main continues after a thread's SYS_exit = 1\n");
		fflush(stdout);
		_exit(8);
	}
	printf("SYS_exit in a thread: %s\n", guest_wait(pid));

	pid = fork();
	if (pid == 0) {
		leader = pthread_self();
		pthread_t t;
		pthread_create(&t, NULL, survivor, (void *)(long)getpid());
		pthread_exit(NULL);
	}
	printf("leader pthread_exit first, other thread exit(4): %s\n", guest_wait(pid));

	pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, ret_thread, (void *)5L);
		/* Every thread ends with pthread_exit: status is 0. */
		pthread_exit(NULL);
	}
	printf("all threads pthread_exit: %s\n", guest_wait(pid));

	pid = fork();
	if (pid == 0) {
		pthread_t t[8];
		for (int i = 0; i < 8; i++)
			pthread_create(&t[i], NULL, blocker, NULL);
		/* Returning from main is exit_group: blocked threads die too. */
		return 12;
	}
	printf("return from main with 8 blocked threads: %s\n", guest_wait(pid));

	pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, blocker, NULL);
		syscall(SYS_tgkill, getpid(), getpid(), SIGKILL);
		_exit(92);
	}
	printf("SIGKILL to leader kills all threads: %s\n", guest_wait(pid));
	return done();
}
