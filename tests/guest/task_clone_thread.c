/* Raw clone(2) of a thread with its own stack: CLONE_VM|FS|FILES|SIGHAND|
 * THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_SETTID|CHILD_CLEARTID. The child
 * uses raw syscalls only (its TLS is not glibc's). */
#include "guest.h"
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>

static inline long raw3(long n, long a, long b, long c) {
	long r;
	asm volatile("syscall" : "=a"(r) : "0"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static inline long raw4(long n, long a, long b, long c, long d) {
	long r;
	register long r10 asm("r10") = d;
	asm volatile("syscall" : "=a"(r) : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

/* clone(flags, stack, ptid, ctid, tls); the child calls fn(arg) on the new
 * stack and exits with its return value. */
static long raw_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid, unsigned long tls, int (*fn)(void *),
                      void *arg) {
	unsigned long *sp = stack_top;
	*--sp = (unsigned long)arg;
	*--sp = (unsigned long)fn;
	long ret;
	register long r10 asm("r10") = (long)ctid;
	register long r8 asm("r8") = (long)tls;
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

struct tls_block {
	struct tls_block *self;
	long magic;
};

static struct tls_block child_tls;
static int ptid, ctid;
static volatile long child_tid, child_pid, child_fs0, child_magic, child_ctid_seen, child_fd;
static volatile int child_done;

static int child_fn(void *arg) {
	child_tid = raw3(SYS_gettid, 0, 0, 0);
	child_pid = raw3(SYS_getpid, 0, 0, 0);
	long v;
	asm volatile("mov %%fs:0, %0" : "=r"(v));
	child_fs0 = v;
	asm volatile("mov %%fs:8, %0" : "=r"(v));
	child_magic = v;
	child_ctid_seen = ctid;
	/* CLONE_FILES: a new fd is visible to the parent. */
	child_fd = raw4(SYS_openat, AT_FDCWD, (long)"from-child", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	/* CLONE_FS: the working directory is shared. */
	raw3(SYS_chdir, (long)"sub", 0, 0);
	/* CLONE_SIGHAND: dispositions are shared. */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} act = {SIG_IGN, 0, 0, 0};
	raw4(SYS_rt_sigaction, SIGUSR2, (long)&act, 0, 8);
	child_done = 1;
	return (int)(long)arg;
}

int main(void) {
	CHECK(mkdir("sub", 0755) == 0);
	size_t stack_size = 256 * 1024;
	char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	CHECK(stack != MAP_FAILED);
	child_tls.self = &child_tls;
	child_tls.magic = 0x5eed;
	ctid = -1;
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
	                      CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	long tid = raw_clone(flags, stack + stack_size, &ptid, &ctid, (unsigned long)&child_tls, child_fn, (void *)0);
	printf("clone returned positive tid = %d\n", tid > 0);
	CHECK(tid > 0);
	/* Wait for CLONE_CHILD_CLEARTID: the kernel zeroes ctid and wakes it. */
	int spins = 0;
	while (1) {
		int v = __atomic_load_n(&ctid, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
		spins++;
	}
	printf("ctid cleared at exit = %d\n", ctid == 0);
	printf("PARENT_SETTID wrote tid = %d\n", ptid == tid);
	printf("child saw CHILD_SETTID tid = %d\n", child_ctid_seen == tid);
	printf("child gettid == clone result = %d\n", child_tid == tid);
	printf("child getpid == parent getpid = %d\n", child_pid == getpid());
	printf("child tid != pid = %d\n", child_tid != getpid());
	printf("child %%fs:0 is its TLS block = %d\n", child_fs0 == (long)&child_tls);
	printf("child read TLS magic = %d\n", child_magic == 0x5eed);
	printf("child ran to completion = %d\n", child_done);
	printf("child's fd usable in parent = %d\n", child_fd >= 0 && fcntl((int)child_fd, F_GETFD) == FD_CLOEXEC);
	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	const char *base = strrchr(cwd, '/');
	printf("parent cwd after child's chdir = %s\n", base ? base + 1 : cwd);
	struct sigaction sa;
	CHECK(sigaction(SIGUSR2, NULL, &sa) == 0);
	printf("parent sees child's SIG_IGN = %d\n", sa.sa_handler == SIG_IGN);
	/* A thread is not a child: nothing to wait for. */
	EXPECT_ERR("waitpid(thread tid, __WALL)", waitpid(tid, NULL, __WALL), ECHILD);

	/* Invalid flag combinations. */
	EXPECT_ERR("clone(CLONE_THREAD without SIGHAND)", syscall(SYS_clone, CLONE_VM | CLONE_THREAD, stack + stack_size, 0, 0, 0), EINVAL);
	EXPECT_ERR("clone(CLONE_SIGHAND without VM)", syscall(SYS_clone, CLONE_SIGHAND, stack + stack_size, 0, 0, 0), EINVAL);
	EXPECT_ERR("clone(CLONE_NEWNS|CLONE_FS)", syscall(SYS_clone, CLONE_NEWNS | CLONE_FS, 0, 0, 0, 0), EINVAL);
	return done();
}
