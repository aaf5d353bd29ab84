/* set_tid_address returns the tid; gettid/getpid agree in a single thread. */
#include "guest.h"

static int tid_word;

int main(void) {
	long tid = syscall(SYS_gettid);
	long r = syscall(SYS_set_tid_address, &tid_word);
	printf("set_tid_address == gettid = %d\n", r == tid);
	CHECK(r == tid);
	printf("gettid == getpid = %d\n", tid == getpid());
	printf("tid positive = %d\n", tid > 0);
	r = syscall(SYS_set_tid_address, NULL);
	printf("set_tid_address(NULL) == gettid = %d\n", r == tid);
	/* Bad pointers are accepted: they are only used at exit. */
	r = syscall(SYS_set_tid_address, (void *)1);
	printf("set_tid_address((void*)1) == gettid = %d\n", r == tid);
	syscall(SYS_set_tid_address, &tid_word);
	EXPECT_EQ("tgkill(self, 0)", syscall(SYS_tgkill, getpid(), tid, 0), 0);
	EXPECT_ERR("tgkill(wrong tgid)", syscall(SYS_tgkill, 0x3ffffff0, tid, 0), ESRCH);
	EXPECT_ERR("tgkill(tid 0)", syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);
	EXPECT_EQ("tkill(self, 0)", syscall(SYS_tkill, tid, 0), 0);
	return done();
}
