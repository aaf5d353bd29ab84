/* Other synchronous signals: SIGFPE on integer divide by zero (FPE_INTDIV,
 * si_addr = the instruction), SIGILL on ud2 (ILL_ILLOPN), SIGTRAP on int3,
 * SIGSEGV on hlt in user mode; the handler skips the instruction by editing
 * the saved RIP. */
#include "guest.h"
#include <sys/resource.h>
#include <ucontext.h>

static siginfo_t info;
static volatile long skip;
static volatile unsigned long fault_rip;

static void handler(int sig, siginfo_t *si, void *ucv) {
	(void)sig;
	ucontext_t *uc = ucv;
	info = *si;
	fault_rip = uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += skip;
}

extern char div_insn[], ud2_insn[], int3_after[], hlt_insn[];

static const char *code(int sig, int c) {
	if (c == SI_KERNEL)
		return "SI_KERNEL";
	if (sig == SIGFPE)
		return c == FPE_INTDIV ? "FPE_INTDIV" : "other";
	if (sig == SIGILL)
		return c == ILL_ILLOPN ? "ILL_ILLOPN" : "other";
	if (sig == SIGTRAP)
		return c == TRAP_BRKPT ? "TRAP_BRKPT" : "other";
	return "other";
}

static void show(const char *label, void *insn) {
	printf("%s: SIG%s %s, si_addr is the instruction %d, saved rip is the instruction %d\n", label,
	       guest_signame(info.si_signo), code(info.si_signo, info.si_code), info.si_addr == insn,
	       fault_rip == (unsigned long)insn);
	memset(&info, 0, sizeof info);
}

int main(void) {
	struct rlimit core = {0, 0};
	setrlimit(RLIMIT_CORE, &core);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* div %ecx with ecx = 0 (2 bytes: f7 f1). */
	skip = 2;
	long q;
	asm volatile("xor %%ecx, %%ecx\n\t"
	             "mov $7, %%eax\n\t"
	             "xor %%edx, %%edx\n\t"
	             ".globl div_insn\n"
	             "div_insn: div %%ecx\n\t"
	             : "=a"(q)
	             :
	             : "rcx", "rdx");
	show("divide by zero", div_insn);

	skip = 2;
	asm volatile(".globl ud2_insn\nud2_insn: ud2\n\t" ::: "memory");
	show("ud2", ud2_insn);

	skip = 0;
	asm volatile("int3\n\t.globl int3_after\nint3_after: nop\n\t" ::: "memory");
	printf("int3: SIG%s %s, saved rip is after int3 %d\n", guest_signame(info.si_signo),
	       code(info.si_signo, info.si_code), fault_rip == (unsigned long)int3_after);

	skip = 1;
	asm volatile(".globl hlt_insn\nhlt_insn: hlt\n\t" ::: "memory");
	printf("hlt: SIG%s %s, saved rip is the instruction %d\n", guest_signame(info.si_signo),
	       code(info.si_signo, info.si_code), fault_rip == (unsigned long)hlt_insn);

	(void)q;

	/* Default actions. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGILL, SIG_DFL);
		asm volatile("ud2");
		_exit(1);
	}
	printf("ud2 with default action: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		signal(SIGTRAP, SIG_DFL);
		asm volatile("int3");
		_exit(1);
	}
	printf("int3 with default action: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		signal(SIGFPE, SIG_DFL);
		volatile int z = 0;
		volatile int r = 5 / z;
		(void)r;
		_exit(1);
	}
	printf("divide by zero with default action: %s\n", guest_wait(c));
	return done();
}
