/* Synchronous faults caught by SA_SIGINFO handlers: SIGSEGV (NULL write:
 * SEGV_MAPERR at 0; write to PROT_READ page: SEGV_ACCERR at the address;
 * a jump into a page without PROT_EXEC: SEGV_ACCERR at the page; a
 * non-canonical address: SI_KERNEL at 0),
 * SIGBUS past the end of a file mapping (BUS_ADRERR), recovery with
 * siglongjmp; a blocked or ignored SIGSEGV still kills. */
#include "guest.h"
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>

static sigjmp_buf jb;
static siginfo_t info;
static volatile int hits;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	info = *si;
	hits++;
	siglongjmp(jb, 1);
}

static const char *code_name(int sig, int code) {
	if (sig == SIGSEGV)
		return code == SEGV_MAPERR   ? "SEGV_MAPERR"
		       : code == SEGV_ACCERR ? "SEGV_ACCERR"
		       : code == SI_KERNEL   ? "SI_KERNEL"
		                             : "other";
	if (sig == SIGBUS)
		return code == BUS_ADRERR ? "BUS_ADRERR" : code == BUS_OBJERR ? "BUS_OBJERR" : "other";
	return "other";
}

#define FAULT(label, expr, want_addr)                                                                      \
	do {                                                                                                       \
		memset(&info, 0, sizeof info);                                                                           \
		if (sigsetjmp(jb, 1) == 0) {                                                                             \
			expr;                                                                                                  \
			printf("%s: no fault\n", label);                                                                       \
		} else {                                                                                                 \
			printf("%s: SIG%s %s, si_addr matches %d\n", label, guest_signame(info.si_signo),                    \
			       code_name(info.si_signo, info.si_code), info.si_addr == (void *)(want_addr));                  \
		}                                                                                                        \
	} while (0)

int main(void) {
	struct rlimit core = {0, 0};
	setrlimit(RLIMIT_CORE, &core);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	volatile int *null = NULL;
	FAULT("write to NULL", *null = 1, 0);
	FAULT("read from 0x10", (void)*(volatile int *)0x10, 0x10);

	char *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FAULT("write to PROT_READ page", ro[4100] = 1, ro + 4100);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FAULT("read PROT_NONE page", (void)*(volatile char *)(none + 7), none + 7);
	munmap(none, 4096);
	FAULT("read unmapped page", (void)*(volatile char *)(none + 8), none + 8);
	FAULT("non-canonical address", (void)*(volatile char *)0x8000000000000000ul, 0);

	/* Instruction fetches: from a writable page without PROT_EXEC (the
	 * page holds a `ret`), from PROT_NONE, from no mapping at all. */
	char *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rw[0] = (char)0xc3;
	FAULT("jump to a page without PROT_EXEC", ((void (*)(void))rw)(), rw);
	CHECK(mprotect(rw, 4096, PROT_READ | PROT_EXEC) == 0);
	FAULT("jump to the same page made executable", ((void (*)(void))rw)(), 0);
	CHECK(mprotect(rw, 4096, PROT_NONE) == 0);
	FAULT("jump to a PROT_NONE page", ((void (*)(void))rw)(), rw);
	munmap(rw, 4096);
	FAULT("jump to an unmapped page", ((void (*)(void))rw)(), rw);

	int fd = open("small", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(fd, "0123456789", 10) == 10);
	char *fm = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(fm != MAP_FAILED);
	printf("within the last page past EOF reads zero = %d\n", fm[100] == 0);
	FAULT("read past end of file mapping", (void)*(volatile char *)(fm + 4096 + 5), fm + 4096 + 5);
	FAULT("write past end of file mapping", fm[2 * 4096] = 1, fm + 2 * 4096);
	CHECK(ftruncate(fd, 5000) == 0);
	printf("after growing the file the second page reads zero = %d\n", fm[4096 + 5] == 0);
	/* A page of a read-only shared mapping never touched: the mapping
	 * covers it, so the write is SEGV_ACCERR, not SEGV_MAPERR. */
	char *rofm = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(rofm != MAP_FAILED);
	FAULT("write to an untouched read-only file page", rofm[3] = 1, rofm + 3);
	FAULT("read it", (void)*(volatile char *)(rofm + 3), 0);
	printf("handler ran %d times\n", hits);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		sigprocmask(SIG_BLOCK, &set, NULL);
		*null = 2;
		_exit(1);
	}
	printf("NULL write with SIGSEGV blocked: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_IGN);
		*null = 2;
		_exit(1);
	}
	printf("NULL write with SIGSEGV ignored: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL);
		*null = 2;
		_exit(1);
	}
	printf("NULL write with default action: %s\n", guest_wait(c));
	return done();
}
