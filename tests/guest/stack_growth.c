/* The main stack grows on touch up to RLIMIT_STACK: deep recursion within
 * the limit works, the limit a process raises for itself (as gcc's cc1
 * does) lets it go deeper, one it lowers stops it with SIGSEGV; a system
 * call writing into stack pages never touched grows the stack too; the
 * [stack] line of /proc/self/maps follows. */
#include "guest.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static volatile unsigned long deepest;

static void on_segv(int sig) {
	(void)sig;
	siglongjmp(jb, 1);
}

/* Uses about 4 KiB of stack per level. */
static unsigned long recurse(unsigned long depth, unsigned long max) {
	volatile char pad[4000];
	pad[0] = (char)depth;
	pad[3999] = (char)depth;
	deepest = depth;
	if (depth >= max)
		return pad[0];
	return recurse(depth + 1, max) + pad[3999];
}

/* The offset column of the [stack] line: 0, as for all private anonymous
 * memory, however the stack grew. */
static void stack_offset(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], offset[32] = "?";
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "[stack]"))
			sscanf(line, "%*s %*s %31s", offset);
	if (f)
		fclose(f);
	printf("[stack] offset column: %s\n", offset);
}

static unsigned long stack_size(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi, size = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			size = hi - lo;
	if (f)
		fclose(f);
	return size;
}

/* Runs `fn` in a child with RLIMIT_STACK `limit`, on an alternate signal
 * stack that catches the overflow. */
static const char *in_child(rlim_t limit, unsigned long levels) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {limit, RLIM_INFINITY};
		CHECK(setrlimit(RLIMIT_STACK, &r) == 0);
		static char alt[65536];
		stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
		sigaltstack(&ss, NULL);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_segv;
		sa.sa_flags = SA_ONSTACK;
		sigaction(SIGSEGV, &sa, NULL);
		if (sigsetjmp(jb, 1) == 0) {
			recurse(0, levels);
			_exit(0);
		}
		/* Overflowed: say roughly where, in MiB of stack used. */
		_exit(10 + (int)(deepest * 4000 >> 20));
	}
	return guest_wait(c);
}

/* read() into stack pages never touched: the kernel grows the stack. */
static __attribute__((noinline)) void read_into_new_stack(void) {
	volatile char big[3 << 20];
	int fd = open("/dev/zero", O_RDONLY);
	/* The lowest page of the array first. */
	ssize_t n = read(fd, (char *)big, 4096);
	printf("read into untouched stack pages = %zd\n", n);
	big[sizeof big - 1] = 1;
}

int main(void) {
	unsigned long before = stack_size();
	printf("initial [stack] under 1 MiB: %d\n", before > 0 && before < (1 << 20));

	/* 6 MB deep within the default 8 MiB limit. */
	recurse(0, 1500);
	unsigned long after = stack_size();
	stack_offset();
	printf("[stack] after 6 MB of recursion is 5-8 MiB: %d\n", after >= (5ul << 20) && after <= (8ul << 20));

	/* A raised limit lets a process go deeper than 8 MiB. */
	printf("32 MiB deep with a 64 MiB limit: %s\n", in_child(64ul << 20, 8000));
	/* A lowered one stops it: the overflow comes at about 1 MiB. */
	printf("recursion with a 1 MiB limit: %s\n", in_child(1ul << 20, 8000));
	/* At 8 MiB by default. */
	printf("recursion with the default limit: %s\n", in_child(8ul << 20, 8000));

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		read_into_new_stack();
		fflush(stdout);
		_exit(0);
	}
	printf("child: %s\n", guest_wait(c));
	return done();
}
