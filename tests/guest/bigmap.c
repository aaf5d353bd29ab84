/* A 64 MiB anonymous mapping, every page touched, then checked and unmapped. */
#include "guest.h"
#include <sys/mman.h>

#define SIZE (64L << 20)

int main(void) {
	unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK("mmap(64 MiB)", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return done();
	for (long i = 0; i < SIZE; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	unsigned long sum = 0;
	for (long i = 0; i < SIZE; i += 4096)
		sum += p[i];
	printf("sum of page markers = %lu\n", sum);
	unsigned long z = 0;
	for (long i = 1; i < SIZE; i += 4096 * 13 + 7)
		z += p[i] != 0 && (i % 4096) != 0;
	printf("untouched bytes nonzero = %lu\n", z);
	EXPECT_EQ("munmap(64 MiB)", munmap(p, SIZE), 0);
	/* Twice more, so an implementation that leaks memory would notice. */
	for (int round = 0; round < 2; round++) {
		p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		CHECK(p != MAP_FAILED);
		if (p == MAP_FAILED)
			break;
		memset(p, round + 1, SIZE);
		CHECK(p[SIZE - 1] == round + 1);
		CHECK(munmap(p, SIZE) == 0);
	}
	printf("repeated map/touch/unmap done\n");
	return done();
}
