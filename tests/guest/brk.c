// static-only
/* brk: query, grow, use, shrink. Static only, so that the heap belongs to the
 * program alone and not also to the dynamic loader. */
#include "guest.h"

int main(void) {
	/* Let stdio and malloc set up their heap first, so our changes stay above it. */
	printf("brk test\n");
	free(malloc(64));
	uintptr_t cur = syscall(SYS_brk, 0);
	EXPECT_EQ("brk(0) nonzero", cur != 0, 1);
	uintptr_t want = cur + (1 << 20);
	uintptr_t got = syscall(SYS_brk, want);
	EXPECT_EQ("brk(+1 MiB) == request", got == want, 1);
	char *heap = (char *)cur;
	memset(heap, 'h', 1 << 20);
	printf("heap usable = %d\n", heap[0] == 'h' && heap[(1 << 20) - 1] == 'h');
	EXPECT_EQ("brk(0) after grow", syscall(SYS_brk, 0) == want, 1);
	got = syscall(SYS_brk, cur + 4096);
	EXPECT_EQ("brk(shrink)", got == cur + 4096, 1);
	printf("kept first page = %c\n", heap[0]);
	got = syscall(SYS_brk, cur + 8192);
	printf("regrown page zero = %d\n", heap[4096] == 0);
	/* A request below the start of the heap fails: brk returns the current one. */
	got = syscall(SYS_brk, 4096);
	EXPECT_EQ("brk(too low) returns current", got == cur + 8192, 1);
	/* A huge request fails the same way. */
	got = syscall(SYS_brk, (uintptr_t)1 << 46);
	EXPECT_EQ("brk(huge) returns current", got == cur + 8192, 1);
	/* malloc still works after our changes. */
	char *m = malloc(100000);
	CHECK(m != NULL);
	memset(m, 1, 100000);
	free(m);
	return done();
}
