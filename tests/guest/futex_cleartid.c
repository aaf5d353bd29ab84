/* Thread exit wakes joiners through the clear-child-tid word: set by
 * CLONE_CHILD_CLEARTID or by set_tid_address in the thread itself. */
#include "guest.h"
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>

static inline long raw1(long n, long a) {
	long r;
	asm volatile("syscall" : "=a"(r) : "0"(n), "D"(a) : "rcx", "r11", "memory");
	return r;
}

static long raw_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid, int (*fn)(void *), void *arg) {
	unsigned long *sp = stack_top;
	*--sp = (unsigned long)arg;
	*--sp = (unsigned long)fn;
	long ret;
	register long r10 asm("r10") = (long)ctid;
	register long r8 asm("r8") = 0;
	asm volatile("syscall\n\t"
	             "test %%rax, %%rax\n\t"
	             "jnz 1f\n\t"
	             "xor %%ebp, %%ebp\n\t"
	             "pop %%rax\n\t"
	             "pop %%rdi\n\t"
	             "and $-16, %%rsp\n\t"
	             "call *%%rax\n\t"
	             "mov %%eax, %%edi\n\t"
	             "mov $60, %%eax\n\t"
	             "syscall\n\t"
	             "hlt\n"
	             "1:\n\t"
	             : "=a"(ret)
	             : "0"((long)SYS_clone), "D"(flags), "S"(sp), "d"(ptid), "r"(r10), "r"(r8)
	             : "rcx", "r11", "memory");
	return ret;
}

static int word_a, word_b;
static volatile long set_ret, my_tid;
static int hold = 1;

static int clear_fn(void *arg) {
	(void)arg;
	/* Wait until the parent is (very likely) blocked on the word. */
	while (__atomic_load_n(&hold, __ATOMIC_ACQUIRE)) {
		long r;
		asm volatile("pause" ::: "memory");
		(void)r;
	}
	return 0;
}

static int settid_fn(void *arg) {
	(void)arg;
	my_tid = raw1(SYS_gettid, 0);
	word_b = (int)my_tid;
	set_ret = raw1(SYS_set_tid_address, (long)&word_b);
	return 0;
}

static void wait_word(int *w) {
	for (;;) {
		int v = __atomic_load_n(w, __ATOMIC_SEQ_CST);
		if (v == 0)
			return;
		syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
	}
}

int main(void) {
	size_t sz = 128 * 1024;
	char *s1 = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s2 = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

	long tid = raw_clone(flags | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, s1 + sz, NULL, &word_a, clear_fn, NULL);
	CHECK(tid > 0);
	__atomic_store_n(&hold, 0, __ATOMIC_RELEASE);
	wait_word(&word_a);
	printf("CLONE_CHILD_CLEARTID: word cleared and waiter woken = %d\n", word_a == 0);

	tid = raw_clone(flags, s2 + sz, NULL, NULL, settid_fn, NULL);
	CHECK(tid > 0);
	/* word_b becomes the tid when the thread runs, then 0 when it exits; the
	 * wait below returns once it is 0 either way. */
	while (set_ret == 0)
		sched_yield();
	wait_word(&word_b);
	printf("set_tid_address: returned the tid = %d, word cleared = %d\n", set_ret == tid, word_b == 0);

	/* The kernel clears the word only when the mm is still used by others:
	 * a single-threaded process exiting leaves it alone. */
	int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shm = -1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		*shm = getpid();
		syscall(SYS_set_tid_address, shm);
		syscall(SYS_exit_group, 4);
	}
	printf("child: %s\n", guest_wait(c));
	printf("single-threaded exit leaves the word = %d\n", *shm == c);
	return done();
}
