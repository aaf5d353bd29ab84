/* sigreturn restores the interrupted context: general registers and all
 * xmm registers survive a handler that clobbers them; a handler's edits to
 * the saved context (gregs and fpregs) take effect; FP math in main is not
 * disturbed by FP math in handlers. */
#include "guest.h"
#include <ucontext.h>

unsigned long gout[9];
unsigned long xout[16];
int g_pid;
static volatile int modify;
static volatile double handler_sum;

static void handler(int sig, siginfo_t *si, void *ucv) {
	(void)sig;
	(void)si;
	asm volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
	             "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
	             "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
	             "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
	             "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
	             "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15\n\t"
	             "mov $-1, %%r8\n\tmov $-1, %%r9\n\tmov $-1, %%r10\n\tmov $-1, %%rdx\n\t"
	             "mov $-1, %%rsi\n\tmov $-1, %%rdi\n\tmov $-1, %%r11\n\t" ::
	                 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
	                   "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "r8", "r9", "r10", "r11", "rdx", "rsi", "rdi");
	double s = 0;
	for (int i = 1; i < 100; i++)
		s += 1.0 / i;
	handler_sum = s;
	if (modify) {
		ucontext_t *uc = ucv;
		uc->uc_mcontext.gregs[REG_R12] = 0x1234;
		uc->uc_mcontext.fpregs->_xmm[1].element[0] = 0x55555555;
		uc->uc_mcontext.fpregs->_xmm[1].element[1] = 0x55555555;
	}
}

#define LOADX(n) "movabs $0x100000000000000" #n ", %%rax\n\tmovq %%rax, %%xmm" #n "\n\t"
#define STOREX(n) "movq %%xmm" #n ", xout+" #n "*8(%%rip)\n\t"

static void run(void) {
	asm volatile("movabs $0x0808080808080808, %%r8\n\t"
	             "movabs $0x0909090909090909, %%r9\n\t"
	             "movabs $0x1010101010101010, %%r10\n\t"
	             "movabs $0x0d0d0d0d0d0d0d0d, %%rdx\n\t"
	             "movabs $0x0b0b0b0b0b0b0b0b, %%rbx\n\t"
	             "movabs $0x1212121212121212, %%r12\n\t"
	             "movabs $0x1313131313131313, %%r13\n\t"
	             "movabs $0x1414141414141414, %%r14\n\t"
	             "movabs $0x1515151515151515, %%r15\n\t" LOADX(0) LOADX(1) LOADX(2) LOADX(3) LOADX(4) LOADX(5)
	                 LOADX(6) LOADX(7) LOADX(8) LOADX(9) "movabs $0x1000000000000010, %%rax\n\tmovq %%rax, %%xmm10\n\t"
	                 "movabs $0x1000000000000011, %%rax\n\tmovq %%rax, %%xmm11\n\t"
	                 "movabs $0x1000000000000012, %%rax\n\tmovq %%rax, %%xmm12\n\t"
	                 "movabs $0x1000000000000013, %%rax\n\tmovq %%rax, %%xmm13\n\t"
	                 "movabs $0x1000000000000014, %%rax\n\tmovq %%rax, %%xmm14\n\t"
	                 "movabs $0x1000000000000015, %%rax\n\tmovq %%rax, %%xmm15\n\t"
	                 "mov $62, %%eax\n\t"
	                 "mov g_pid(%%rip), %%edi\n\t"
	                 "mov $10, %%esi\n\t"
	                 "syscall\n\t"
	                 "mov %%r8, gout+0(%%rip)\n\t"
	                 "mov %%r9, gout+8(%%rip)\n\t"
	                 "mov %%r10, gout+16(%%rip)\n\t"
	                 "mov %%rdx, gout+24(%%rip)\n\t"
	                 "mov %%rbx, gout+32(%%rip)\n\t"
	                 "mov %%r12, gout+40(%%rip)\n\t"
	                 "mov %%r13, gout+48(%%rip)\n\t"
	                 "mov %%r14, gout+56(%%rip)\n\t"
	                 "mov %%r15, gout+64(%%rip)\n\t" STOREX(0) STOREX(1) STOREX(2) STOREX(3) STOREX(4) STOREX(5)
	                     STOREX(6) STOREX(7) STOREX(8) STOREX(9) STOREX(10) STOREX(11) STOREX(12) STOREX(13)
	                         STOREX(14) STOREX(15)::
	                             : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
	                               "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
	                               "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

int main(void) {
	g_pid = getpid();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	static const unsigned long want_g[9] = {0x0808080808080808, 0x0909090909090909, 0x1010101010101010,
	                                        0x0d0d0d0d0d0d0d0d, 0x0b0b0b0b0b0b0b0b, 0x1212121212121212,
	                                        0x1313131313131313, 0x1414141414141414, 0x1515151515151515};
	static const char *gname[9] = {"r8", "r9", "r10", "rdx", "rbx", "r12", "r13", "r14", "r15"};
	run();
	int gok = 0, xok = 0;
	for (int i = 0; i < 9; i++) {
		if (gout[i] == want_g[i])
			gok++;
		else
			printf("%s = %#lx\n", gname[i], gout[i]);
	}
	for (int i = 0; i < 16; i++) {
		unsigned long w = 0x1000000000000000ul + (i < 10 ? (unsigned long)i : 0x10ul + (i - 10));
		if (xout[i] == w)
			xok++;
		else
			printf("xmm%d = %#lx\n", i, xout[i]);
	}
	printf("handler ran (sum > 5) = %d\n", handler_sum > 5);
	printf("general registers preserved: %d/9, xmm registers preserved: %d/16\n", gok, xok);
	CHECK(gok == 9 && xok == 16);

	modify = 1;
	memset(gout, 0, sizeof gout);
	run();
	printf("handler-edited r12 = %#lx, xmm1 = %#lx, r13 untouched = %d\n", gout[5], xout[1], gout[6] == want_g[6]);
	CHECK(gout[5] == 0x1234 && xout[1] == 0x5555555555555555ul);

	/* FP values live across many signal deliveries. */
	modify = 0;
	double a = 1.0;
	for (int i = 0; i < 200; i++) {
		a = a * 1.0001 + 0.5;
		if (i % 10 == 0)
			raise(SIGUSR1);
	}
	double b = 1.0;
	for (int i = 0; i < 200; i++)
		b = b * 1.0001 + 0.5;
	printf("double computation unaffected by handlers = %d\n", a == b);
	CHECK(a == b);
	return done();
}
