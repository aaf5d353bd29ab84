/* PTRACE_SINGLESTEP through a known instruction sequence: the tracee stops
 * at an int3 right before it; each step advances by one instruction (rip
 * checked against labels) and the register effects are visible; a
 * breakpoint planted with POKETEXT is hit. */
#include "guest.h"
#include <sys/ptrace.h>
#include <sys/user.h>

extern char seq_start[], seq_1[], seq_2[], seq_3[], seq_end[], bp_site[];

__attribute__((noinline)) static long sequence(void) {
	long out;
	asm volatile("int3\n\t"
	             ".globl seq_start\nseq_start: mov $1, %%eax\n\t"
	             ".globl seq_1\nseq_1: add $2, %%rax\n\t"
	             ".globl seq_2\nseq_2: imul $10, %%rax, %%rax\n\t"
	             ".globl seq_3\nseq_3: nop\n\t"
	             ".globl seq_end\nseq_end: nop\n\t"
	             ".globl bp_site\nbp_site: add $5, %%rax\n\t"
	             : "=a"(out)
	             :
	             : "memory");
	return out;
}

int main(void) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		long v = sequence();
		_exit(v == 35 ? 0 : (int)(v & 0x7f));
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c);
	printf("initial: %s\n", guest_wstatus(st));
	ptrace(PTRACE_CONT, c, 0, 0);
	CHECK(waitpid(c, &st, 0) == c);
	printf("int3: %s\n", guest_wstatus(st));
	struct user_regs_struct regs;
	ptrace(PTRACE_GETREGS, c, 0, &regs);
	printf("stopped at seq_start = %d\n", regs.rip == (unsigned long)seq_start);

	/* Plant an int3 at bp_site (after the stepped part). */
	long word = ptrace(PTRACE_PEEKTEXT, c, (void *)bp_site, 0);
	long patched = (word & ~0xffL) | 0xcc;
	EXPECT_EQ("POKETEXT(int3 at bp_site)", ptrace(PTRACE_POKETEXT, c, (void *)bp_site, (void *)patched), 0);

	char *want[] = {seq_1, seq_2, seq_3, seq_end};
	long rax_want[] = {1, 3, 30, 30};
	for (int i = 0; i < 4; i++) {
		CHECK(ptrace(PTRACE_SINGLESTEP, c, 0, 0) == 0);
		CHECK(waitpid(c, &st, 0) == c);
		ptrace(PTRACE_GETREGS, c, 0, &regs);
		printf("step %d: %s, rip at label %d, rax = %llu (want %ld)\n", i + 1, guest_wstatus(st),
		       regs.rip == (unsigned long)want[i], regs.rax, rax_want[i]);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ("PTRACE_GETSIGINFO after a step", ptrace(PTRACE_GETSIGINFO, c, 0, &si), 0);
	printf("step siginfo: SIG%s code TRAP_TRACE %d\n", guest_signame(si.si_signo), si.si_code == TRAP_TRACE);

	ptrace(PTRACE_CONT, c, 0, 0);
	CHECK(waitpid(c, &st, 0) == c);
	ptrace(PTRACE_GETREGS, c, 0, &regs);
	printf("breakpoint: %s, rip just past bp_site %d\n", guest_wstatus(st), regs.rip == (unsigned long)bp_site + 1);
	/* Restore the instruction and rewind. */
	ptrace(PTRACE_POKETEXT, c, (void *)bp_site, (void *)word);
	regs.rip = (unsigned long)bp_site;
	ptrace(PTRACE_SETREGS, c, 0, &regs);
	ptrace(PTRACE_CONT, c, 0, 0);
	printf("tracee (exit 0 = computed 35): %s\n", guest_wait(c));
	return done();
}
