/* arch_prctl(ARCH_GET_FS) agrees with the thread pointer and __thread data. */
#include "guest.h"
#include <asm/prctl.h>

static __thread long tls_var = 42;

int main(void) {
	unsigned long fs = 0;
	EXPECT_EQ("arch_prctl(ARCH_GET_FS)", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	unsigned long tp;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	printf("fs base == %%fs:0 self pointer = %d\n", fs == tp);
	printf("fs == __builtin_thread_pointer = %d\n", fs == (unsigned long)__builtin_thread_pointer());
	uintptr_t var = (uintptr_t)&tls_var;
	printf("__thread var below fs and within 1 MiB = %d\n", var < fs && fs - var < (1 << 20));
	printf("tls value = %ld\n", tls_var);
	tls_var = 7;
	printf("tls value after store = %ld\n", *(long *)var);
	unsigned long gs = 1;
	EXPECT_EQ("arch_prctl(ARCH_GET_GS)", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	printf("gs base = %lu\n", gs);
	/* Setting FS to its current value is harmless. */
	EXPECT_EQ("arch_prctl(ARCH_SET_FS same)", syscall(SYS_arch_prctl, ARCH_SET_FS, fs), 0);
	printf("tls still reachable = %ld\n", tls_var);
	EXPECT_ERR("arch_prctl(bad code)", syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
	EXPECT_ERR("arch_prctl(GET_FS bad pointer)", syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1), EFAULT);
	EXPECT_ERR("arch_prctl(SET_FS non-canonical)", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000ul), EPERM);
	return done();
}
