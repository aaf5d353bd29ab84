/* mprotect and munmap argument checking (no faults are taken). */
#include "guest.h"
#include <sys/mman.h>

#define PG 4096L

int main(void) {
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	EXPECT_EQ("mprotect(READ)", mprotect(p, PG, PROT_READ), 0);
	printf("read after PROT_READ = %d\n", p[0]);
	EXPECT_EQ("mprotect(NONE middle)", mprotect(p + PG, PG, PROT_NONE), 0);
	EXPECT_EQ("mprotect(back to RW)", mprotect(p, 2 * PG, PROT_READ | PROT_WRITE), 0);
	p[0] = 2;
	p[PG] = 3;
	printf("write after restoring RW = %d %d\n", p[0], p[PG]);
	EXPECT_EQ("mprotect(EXEC|READ)", mprotect(p + 3 * PG, PG, PROT_READ | PROT_EXEC), 0);
	EXPECT_ERR("mprotect(unaligned)", mprotect(p + 1, PG, PROT_READ), EINVAL);
	EXPECT_ERR("mprotect(bad prot)", mprotect(p, PG, 0x100), EINVAL);
	EXPECT_EQ("mprotect(len 0)", mprotect(p, 0, PROT_READ), 0);
	EXPECT_EQ("munmap(last page)", munmap(p + 3 * PG, PG), 0);
	EXPECT_ERR("mprotect(range into unmapped)", mprotect(p + 2 * PG, 2 * PG, PROT_READ), ENOMEM);
	EXPECT_ERR("mprotect(unmapped)", mprotect(p + 3 * PG, PG, PROT_READ), ENOMEM);
	EXPECT_ERR("munmap(unaligned)", munmap(p + 1, PG), EINVAL);
	EXPECT_ERR("munmap(len 0)", munmap(p, 0), EINVAL);
	EXPECT_ERR("munmap(kernel address)", syscall(SYS_munmap, 0xffff800000000000ul, PG), EINVAL);

	/* A read-only file mapping cannot become writable if shared. */
	put_file("f", "data");
	int fd = open("f", O_RDONLY);
	char *f = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(f != MAP_FAILED);
	EXPECT_ERR("mprotect(WRITE on shared O_RDONLY file)", mprotect(f, PG, PROT_READ | PROT_WRITE), EACCES);
	printf("mapping content = %.4s\n", f);
	munmap(f, PG);
	close(fd);

	/* write(2) from a PROT_NONE buffer fails cleanly. */
	char *n = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int w = open("out", O_WRONLY | O_CREAT, 0644);
	EXPECT_ERR("write(from PROT_NONE)", write(w, n, 10), EFAULT);
	EXPECT_ERR("read(into PROT_READ)", read(open("f", O_RDONLY), (mprotect(n, PG, PROT_READ), n), 4), EFAULT);
	close(w);
	return done();
}
