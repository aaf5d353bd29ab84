/* Threads that run guest code without ever making a system call must still
 * be reachable: a signal sent to one of them runs its handler at once, and
 * exit_group ends them all. (A platform that can only stop a thread at a
 * system call would hang here.) */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#define SPINNERS 3

static volatile int stop_spinning;
static volatile int handled[SPINNERS];
static volatile unsigned long counter[SPINNERS];
static pthread_t threads[SPINNERS];

static void on_usr1(int sig) {
	(void)sig;
	for (int i = 0; i < SPINNERS; i++)
		if (pthread_equal(pthread_self(), threads[i]))
			handled[i] = 1;
}

static void *spin(void *arg) {
	long id = (long)arg;
	while (!stop_spinning)
		counter[id]++;
	return NULL;
}

static void wait_running(void) {
	for (int i = 0; i < SPINNERS; i++)
		while (counter[i] == 0)
			sched_yield();
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	/* A signal to each spinning thread runs its handler on that thread. */
	for (long i = 0; i < SPINNERS; i++)
		pthread_create(&threads[i], NULL, spin, (void *)i);
	wait_running();
	for (int i = 0; i < SPINNERS; i++) {
		pthread_kill(threads[i], SIGUSR1);
		while (!handled[i])
			sched_yield();
		printf("spinning thread %d ran its handler\n", i);
	}
	stop_spinning = 1;
	for (int i = 0; i < SPINNERS; i++)
		pthread_join(threads[i], NULL);

	/* exit_group from one thread ends threads that never make a call. */
	pid_t c = fork();
	if (c == 0) {
		stop_spinning = 0;
		for (int i = 0; i < SPINNERS; i++)
			counter[i] = 0;
		for (long i = 0; i < SPINNERS; i++)
			pthread_create(&threads[i], NULL, spin, (void *)i);
		wait_running();
		exit(7);
	}
	printf("child with spinning threads: %s\n", guest_wait(c));

	/* SIGKILL from another process ends them too. */
	c = fork();
	if (c == 0) {
		stop_spinning = 0;
		pthread_t t;
		pthread_create(&t, NULL, spin, (void *)0);
		for (;;)
			counter[1]++;
	}
	usleep(50000);
	kill(c, SIGKILL);
	printf("spinning child killed: %s\n", guest_wait(c));
	return done();
}
