/* getrandom: fills the buffer; flags. */
#include "guest.h"
#include <sys/random.h>

int main(void) {
	unsigned char a[256], b[256];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	EXPECT_EQ("getrandom(256, 0)", getrandom(a, sizeof a, 0), 256);
	EXPECT_EQ("getrandom(256, GRND_NONBLOCK)", getrandom(b, sizeof b, GRND_NONBLOCK), 256);
	int nz = 0;
	for (size_t i = 0; i < sizeof a; i++)
		nz += a[i] != 0;
	printf("not all zero = %d, buffers differ = %d\n", nz > 0, memcmp(a, b, sizeof a) != 0);
	EXPECT_EQ("getrandom(0 bytes)", getrandom(a, 0, 0), 0);
	EXPECT_EQ("getrandom(GRND_RANDOM)", getrandom(a, 16, GRND_RANDOM | GRND_NONBLOCK) > 0, 1);
	EXPECT_ERR("getrandom(bad flags)", syscall(SYS_getrandom, a, 16, 0x100), EINVAL);
	EXPECT_ERR("getrandom(NULL buffer)", syscall(SYS_getrandom, NULL, 16, 0), EFAULT);
	static unsigned char big[1 << 20];
	long n = getrandom(big, sizeof big, 0);
	printf("1 MiB request returns > 0 = %d\n", n > 0);
	return done();
}
