/* Threads writing one copy-on-write page at once: after each fork, the
 * parent's private pages are copy-on-write, and several threads fault on
 * the same page together. The first fault gives the page a copy of its
 * own; the others find it already writable and must simply go on (Linux's
 * fault handler re-checks the page table). None of them may get SIGSEGV,
 * and every write must land in the parent's copy, not the child's. */
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define THREADS 4
#define ROUNDS 100
#define PAGES 8

static char data[PAGES][4096] __attribute__((aligned(4096)));
static volatile int phase;
static volatile int ready;
static char *heap;

static void *writer(void *arg) {
	long id = (long)arg;
	for (int r = 1; r <= ROUNDS; r++) {
		__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
		/* Spin a little (so that the writers start together), then
		 * yield the CPU to the others. */
		for (int spins = 0; __atomic_load_n(&phase, __ATOMIC_ACQUIRE) < r; spins++)
			if (spins > 2000)
				sched_yield();
		/* All threads write the same pages, each its own bytes. */
		for (int p = 0; p < PAGES; p++) {
			data[p][id * 8] = (char)r;
			heap[p * 4096 + id * 8] = (char)r;
		}
	}
	return NULL;
}

int main(void) {
	heap = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(heap != MAP_FAILED);
	memset(heap, 0, PAGES * 4096);
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	int child_ok = 1;
	for (int r = 1; r <= ROUNDS; r++) {
		while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < THREADS * r)
			sched_yield();
		/* The fork makes every private page copy-on-write again. */
		pid_t c = fork();
		if (c == 0) {
			/* The child sees the values of the previous round. */
			int ok = 1;
			for (int p = 0; p < PAGES; p++)
				for (int i = 0; i < THREADS; i++)
					if (data[p][i * 8] != (char)(r - 1) || heap[p * 4096 + i * 8] != (char)(r - 1))
						ok = 0;
			_exit(ok ? 0 : 3);
		}
		__atomic_store_n(&phase, r, __ATOMIC_RELEASE);
		int st;
		waitpid(c, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			child_ok = 0;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	int parent_ok = 1;
	for (int p = 0; p < PAGES; p++)
		for (int i = 0; i < THREADS; i++)
			if (data[p][i * 8] != (char)ROUNDS || heap[p * 4096 + i * 8] != (char)ROUNDS)
				parent_ok = 0;
	printf("%d rounds of %d threads writing copy-on-write pages\n", ROUNDS, THREADS);
	printf("children saw the values at fork: %d\n", child_ok);
	printf("parent has every write: %d\n", parent_ok);
	CHECK(child_ok && parent_ok);
	return done();
}
