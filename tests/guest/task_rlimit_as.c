/* RLIMIT_AS and RLIMIT_DATA: large mappings fail with ENOMEM, small ones
 * still work, munmap gives room back. */
#include "guest.h"
#include <sys/mman.h>
#include <sys/resource.h>

int main(void) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {512ul << 20, 512ul << 20};
		EXPECT_EQ("setrlimit(AS 512 MiB)", setrlimit(RLIMIT_AS, &r), 0);
		void *big = mmap(NULL, 1ul << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		printf("mmap(1 GiB) fails = %d (%s)\n", big == MAP_FAILED, big == MAP_FAILED ? errname(errno) : "ok");
		void *small = mmap(NULL, 16ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("mmap(16 MiB) ok = %d\n", small != MAP_FAILED);
		void *chunks[64];
		int n = 0;
		while (n < 64) {
			chunks[n] = mmap(NULL, 64ul << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (chunks[n] == MAP_FAILED)
				break;
			n++;
		}
		printf("64 MiB chunks before ENOMEM: at most 8 = %d, at least 4 = %d\n", n <= 8, n >= 4);
		printf("malloc(600 MiB) fails = %d\n", malloc(600ul << 20) == NULL);
		CHECK(munmap(chunks[0], 64ul << 20) == 0);
		void *again = mmap(NULL, 64ul << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("after munmap a 64 MiB chunk fits again = %d\n", again != MAP_FAILED);
		void *more = mmap(NULL, 64ul << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("but not a second one = %d\n", more == MAP_FAILED);
		r.rlim_cur = 1ul << 30;
		EXPECT_ERR("setrlimit(AS soft above hard)", setrlimit(RLIMIT_AS, &r), EINVAL);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		struct rlimit r = {1ul << 20, 1ul << 20};
		EXPECT_EQ("setrlimit(DATA 1 MiB)", setrlimit(RLIMIT_DATA, &r), 0);
		void *p = mmap(NULL, 8ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("private writable mmap(8 MiB) over DATA fails = %d (%s)\n", p == MAP_FAILED,
		       p == MAP_FAILED ? errname(errno) : "ok");
		void *s = mmap(NULL, 8ul << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		printf("shared mmap(8 MiB) is not DATA = %d\n", s != MAP_FAILED);
		void *brk0 = sbrk(0);
		printf("sbrk(8 MiB) fails = %d\n", sbrk(8ul << 20) == (void *)-1);
		printf("break unchanged = %d\n", sbrk(0) == brk0);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));
	return done();
}
