/* Anonymous mmap: private/shared, partial munmap, madvise(DONTNEED), errors. */
#include "guest.h"
#include <sys/mman.h>

#define PG 4096L

int main(void) {
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK("mmap(anon private 4 pages)", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return done();
	printf("page aligned = %d\n", ((uintptr_t)p % PG) == 0);
	long sum = 0;
	for (long i = 0; i < 4 * PG; i++)
		sum += p[i];
	printf("fresh pages zero = %d\n", sum == 0);
	for (long i = 0; i < 4; i++)
		memset(p + i * PG, 'a' + i, PG);

	/* Unmap the second page only: the others keep their contents. */
	EXPECT_EQ("munmap(second page)", munmap(p + PG, PG), 0);
	printf("page0 = %c page2 = %c page3 = %c\n", p[0], p[2 * PG], p[3 * PG + PG - 1]);
	/* Mapping the hole again with MAP_FIXED gives a zero page. */
	char *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT_EQ("mmap(MAP_FIXED into hole) at hint", q == p + PG, 1);
	printf("refilled page byte = %d\n", q[100]);
	/* MAP_FIXED_NOREPLACE over an existing mapping fails. */
	EXPECT_ERR("mmap(MAP_FIXED_NOREPLACE over mapping)",
	           mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);

	/* madvise(DONTNEED) zeroes private anonymous pages. */
	EXPECT_EQ("madvise(DONTNEED page 2)", madvise(p + 2 * PG, PG, MADV_DONTNEED), 0);
	printf("after DONTNEED page2 = %d page3 = %c\n", p[2 * PG], p[3 * PG]);
	EXPECT_ERR("madvise(unaligned)", madvise(p + 1, PG, MADV_DONTNEED), EINVAL);
	EXPECT_ERR("madvise(bad advice)", madvise(p, PG, 12345), EINVAL);
	EXPECT_EQ("munmap(all)", munmap(p, 4 * PG), 0);
	EXPECT_EQ("munmap(already unmapped)", munmap(p, 4 * PG), 0);

	/* Shared anonymous memory. */
	int *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK("mmap(anon shared)", s == MAP_FAILED ? -1 : 0);
	s[0] = 42;
	s[1023] = 7;
	printf("shared values = %d %d\n", s[0], s[1023]);
	EXPECT_EQ("madvise(DONTNEED shared) keeps data", madvise(s, PG, MADV_DONTNEED), 0);
	printf("shared after DONTNEED = %d\n", s[0]);
	munmap(s, PG);

	/* A hint address is honoured when free (not guaranteed, so only check success). */
	char *h = mmap((void *)0x200000000000, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK("mmap(with hint)", h == MAP_FAILED ? -1 : 0);
	munmap(h, PG);

	/* Length rounding: a 1-byte mapping is a page. */
	char *one = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	one[PG - 1] = 1;
	printf("1-byte mapping usable to page end = %d\n", one[PG - 1]);
	EXPECT_EQ("munmap(1 byte)", munmap(one, 1), 0);

	/* PROT_NONE mappings are allowed. */
	char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK("mmap(PROT_NONE)", none == MAP_FAILED ? -1 : 0);
	munmap(none, PG);
	return done();
}
