/* process_vm_readv/process_vm_writev between parent and child (same
 * layout after fork): scattered iovecs, partial transfers at an unmapped
 * page, errors. */
#include "guest.h"
#include <sys/mman.h>
#include <sys/uio.h>

static char child_buf[64] = "child data: 0123456789";

int main(void) {
	char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(pages, 'p', 4096);
	int go[2], done_[2];
	CHECK(pipe(go) == 0 && pipe(done_) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		munmap(pages + 4096, 4096); /* second page gone in the child only */
		memcpy(child_buf, "CHILD DATA", 10);
		if (write(done_[1], "r", 1) != 1)
			_exit(90);
		char x;
		if (read(go[0], &x, 1) != 1)
			_exit(91);
		_exit(memcmp(child_buf, "written by parent", 17) == 0 ? 0 : 1);
	}
	char x;
	CHECK(read(done_[0], &x, 1) == 1);

	char a[5] = {0}, b[32] = {0};
	struct iovec local[2] = {{a, 4}, {b, 6}};
	struct iovec remote[1] = {{child_buf, 10}};
	EXPECT_EQ("process_vm_readv(10 bytes into 4+6)", process_vm_readv(c, local, 2, remote, 1, 0), 10);
	printf("read: [%s] [%s]\n", a, b);
	printf("our copy is unchanged: %.10s\n", child_buf);

	char big[8192];
	struct iovec l1 = {big, sizeof big};
	struct iovec r1 = {pages + 4000, 200};
	EXPECT_EQ("readv across into the child's unmapped page (partial)", process_vm_readv(c, &l1, 1, &r1, 1, 0), 96);
	struct iovec r2 = {pages + 4096, 10};
	EXPECT_ERR("readv of the unmapped page only", process_vm_readv(c, &l1, 1, &r2, 1, 0), EFAULT);

	const char *msg = "written by parent";
	struct iovec wl = {(void *)msg, strlen(msg)};
	struct iovec wr[2] = {{child_buf, 5}, {child_buf + 5, 12}};
	EXPECT_EQ("process_vm_writev(17 bytes into 5+12)", process_vm_writev(c, &wl, 1, wr, 2, 0), 17);
	EXPECT_ERR("readv with flags != 0", process_vm_readv(c, local, 2, remote, 1, 1), EINVAL);
	EXPECT_ERR("readv of a nonexistent pid", process_vm_readv(0x3ffffff0, local, 2, remote, 1, 0), ESRCH);
	struct iovec badl = {(void *)8, 10};
	EXPECT_ERR("readv into a bad local buffer", process_vm_readv(c, &badl, 1, remote, 1, 0), EFAULT);
	EXPECT_EQ("readv with zero iovecs", process_vm_readv(c, local, 0, remote, 0, 0), 0);
	CHECK(write(go[1], "g", 1) == 1);
	printf("child (0 = saw the parent's write): %s\n", guest_wait(c));
	return done();
}
