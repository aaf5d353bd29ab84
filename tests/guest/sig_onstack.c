/* SA_ONSTACK with sigaltstack: the handler runs on the alternate stack and
 * sees SS_ONSTACK; without SA_ONSTACK it runs on the normal stack; a stack
 * overflow is handled on the alternate stack. */
#include "guest.h"
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>

static char *alt;
static size_t alt_size = 1 << 16;
static volatile int on_alt, ss_onstack, disable_err;
static sigjmp_buf jb;

static void handler(int sig) {
	(void)sig;
	char here;
	on_alt = &here >= alt && &here < alt + alt_size;
	stack_t cur;
	sigaltstack(NULL, &cur);
	ss_onstack = !!(cur.ss_flags & SS_ONSTACK);
	stack_t off = {.ss_flags = SS_DISABLE};
	errno = 0;
	disable_err = sigaltstack(&off, NULL) == -1 ? errno : 0;
}

static void segv_handler(int sig) {
	(void)sig;
	char here;
	on_alt = &here >= alt && &here < alt + alt_size;
	siglongjmp(jb, 1);
}

static volatile int limit = 1 << 30;

static int recurse(int n) {
	volatile char buf[1024];
	if (n > limit)
		return 0;
	buf[0] = (char)n;
	return recurse(n + 1) + buf[0];
}

int main(void) {
	alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
	EXPECT_EQ("sigaltstack(set)", sigaltstack(&ss, NULL), 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_ONSTACK: on alt stack %d, SS_ONSTACK %d, disabling inside fails with %s\n", on_alt, ss_onstack,
	       disable_err ? errname(disable_err) : "nothing");
	stack_t cur;
	sigaltstack(NULL, &cur);
	printf("after return: SS_ONSTACK cleared %d\n", !(cur.ss_flags & SS_ONSTACK));

	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("no SA_ONSTACK: on alt stack %d, SS_ONSTACK %d\n", on_alt, ss_onstack);

	/* Stack overflow: the SIGSEGV handler can only run on the alt stack. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit rl = {1 << 20, 1 << 20};
		setrlimit(RLIMIT_STACK, &rl);
		struct sigaction s2;
		memset(&s2, 0, sizeof s2);
		s2.sa_handler = segv_handler;
		s2.sa_flags = SA_ONSTACK;
		sigaction(SIGSEGV, &s2, NULL);
		if (sigsetjmp(jb, 1) == 0) {
			recurse(0);
			_exit(1);
		}
		_exit(on_alt ? 7 : 8);
	}
	printf("stack overflow caught on alt stack: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		struct rlimit rl = {1 << 20, 1 << 20};
		setrlimit(RLIMIT_STACK, &rl);
		stack_t off = {.ss_flags = SS_DISABLE};
		sigaltstack(&off, NULL);
		struct sigaction s2;
		memset(&s2, 0, sizeof s2);
		s2.sa_handler = segv_handler;
		sigaction(SIGSEGV, &s2, NULL);
		struct rlimit core = {0, 0};
		setrlimit(RLIMIT_CORE, &core);
		recurse(0);
		_exit(1);
	}
	printf("stack overflow without alt stack: %s\n", guest_wait(c));
	return done();
}
