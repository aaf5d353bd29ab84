/* mremap: grow, shrink, move with MREMAP_MAYMOVE/FIXED, errors. */
#include "guest.h"
#include <sys/mman.h>

#define PG 4096L

int main(void) {
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 'x', 2 * PG);
	/* Block growth in place with a guard mapping right after it. */
	char *guard = mmap(p + 2 * PG, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int guarded = guard == p + 2 * PG;
	printf("guard placed = %d\n", guarded);
	if (guarded)
		EXPECT_ERR("mremap(grow, no MAYMOVE, blocked)", mremap(p, 2 * PG, 4 * PG, 0), ENOMEM);

	char *q = mremap(p, 2 * PG, 16 * PG, MREMAP_MAYMOVE);
	EXPECT_OK("mremap(grow MAYMOVE)", q == MAP_FAILED ? -1 : 0);
	printf("moved = %d\n", q != p);
	printf("contents kept = %d\n", q[0] == 'x' && q[2 * PG - 1] == 'x');
	printf("new part zero = %d\n", q[2 * PG] == 0 && q[16 * PG - 1] == 0);
	q[16 * PG - 1] = 'e';

	char *r = mremap(q, 16 * PG, 4 * PG, 0);
	EXPECT_EQ("mremap(shrink) in place", r == q, 1);

	/* Move to a fixed address. */
	char *dst = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mremap(r, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * PG);
	EXPECT_EQ("mremap(FIXED) lands at target", s == dst + 2 * PG, 1);
	printf("moved contents = %c\n", s[0]);
	EXPECT_ERR("munmap-check: old range free (mprotect)", mprotect(r, PG, PROT_READ), ENOMEM);

	EXPECT_ERR("mremap(FIXED without MAYMOVE)", mremap(s, PG, PG, MREMAP_FIXED, dst), EINVAL);
	EXPECT_ERR("mremap(unaligned)", mremap(s + 1, PG, PG, 0), EINVAL);
	EXPECT_ERR("mremap(new len 0)", mremap(s, PG, 0, MREMAP_MAYMOVE), EINVAL);
	EXPECT_ERR("mremap(bad flags)", mremap(s, PG, PG, 0x80), EINVAL);
	EXPECT_ERR("mremap(unmapped)", mremap(r, PG, 2 * PG, MREMAP_MAYMOVE), EFAULT);
	EXPECT_ERR("mremap(overlapping FIXED)", mremap(s, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, s + PG), EINVAL);

	/* Growing a mapping in place when the space after it is free. */
	char *g = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(g + PG, 7 * PG);
	char *g2 = mremap(g, PG, 4 * PG, 0);
	EXPECT_EQ("mremap(grow in place into free space)", g2 == g, 1);
	return done();
}
