/* sigaltstack set/get and errors. */
#include "guest.h"
#include <signal.h>

int main(void) {
	stack_t cur;
	EXPECT_EQ("sigaltstack(NULL, &cur)", sigaltstack(NULL, &cur), 0);
	printf("initially disabled = %d\n", !!(cur.ss_flags & SS_DISABLE));
	static char mem[1 << 16];
	stack_t ss = {.ss_sp = mem, .ss_size = sizeof mem, .ss_flags = 0};
	EXPECT_EQ("sigaltstack(set 64 KiB)", sigaltstack(&ss, NULL), 0);
	memset(&cur, 0, sizeof cur);
	CHECK(sigaltstack(NULL, &cur) == 0);
	printf("read back: sp matches = %d size = %zu flags = %d\n", cur.ss_sp == mem, cur.ss_size, cur.ss_flags);
	stack_t small = {.ss_sp = mem, .ss_size = 1024, .ss_flags = 0};
	EXPECT_ERR("sigaltstack(too small)", sigaltstack(&small, NULL), ENOMEM);
	stack_t badf = {.ss_sp = mem, .ss_size = sizeof mem, .ss_flags = 0x1234};
	EXPECT_ERR("sigaltstack(bad flags)", sigaltstack(&badf, NULL), EINVAL);
	stack_t dis = {.ss_flags = SS_DISABLE};
	stack_t old;
	EXPECT_EQ("sigaltstack(disable)", sigaltstack(&dis, &old), 0);
	printf("old was enabled at mem = %d\n", old.ss_sp == mem && !(old.ss_flags & SS_DISABLE));
	CHECK(sigaltstack(NULL, &cur) == 0);
	printf("now disabled = %d\n", !!(cur.ss_flags & SS_DISABLE));
	EXPECT_ERR("sigaltstack(bad pointer)", syscall(SYS_sigaltstack, (void *)1, NULL), EFAULT);
	return done();
}
