/* File-backed mmap: private copy-on-write, shared write-through, EOF, errors. */
#include "guest.h"
#include <sys/mman.h>

#define PG 4096L

int main(void) {
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	static char data[2 * PG];
	for (long i = 0; i < 2 * PG; i++)
		data[i] = 'A' + i % 26;
	CHECK(write(fd, data, sizeof data) == (long)sizeof data);

	char *priv = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_OK("mmap(file private)", priv == MAP_FAILED ? -1 : 0);
	printf("private sees file = %d\n", memcmp(priv, data, sizeof data) == 0);
	priv[0] = 'z';
	char c = 0;
	CHECK(pread(fd, &c, 1, 0) == 1);
	printf("file after private write = %c\n", c);
	/* Writes to the file show through private pages not yet copied. */
	CHECK(pwrite(fd, "Q", 1, PG + 5) == 1);
	printf("private sees later file write = %c\n", priv[PG + 5]);

	char *shared = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_OK("mmap(file shared)", shared == MAP_FAILED ? -1 : 0);
	memcpy(shared + 10, "SHARED", 6);
	char buf[8] = {0};
	CHECK(pread(fd, buf, 6, 10) == 6);
	printf("file after shared write = %s\n", buf);
	EXPECT_EQ("msync(MS_SYNC)", msync(shared, 2 * PG, MS_SYNC), 0);
	CHECK(pwrite(fd, "W", 1, 20) == 1);
	printf("shared sees file write = %c\n", shared[20]);
	EXPECT_ERR("msync(bad flags)", msync(shared, PG, MS_SYNC | MS_ASYNC), EINVAL);

	/* Offset mapping. */
	char *off = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
	EXPECT_OK("mmap(offset 1 page)", off == MAP_FAILED ? -1 : 0);
	printf("offset mapping first byte = %c\n", off[0]);
	EXPECT_ERR("mmap(unaligned offset)", mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 100), EINVAL);

	/* Past EOF within the last page reads zeros. */
	CHECK(ftruncate(fd, PG + 10) == 0);
	printf("byte past EOF in last page = %d\n", off[100]);

	munmap(priv, 2 * PG);
	munmap(shared, 2 * PG);
	munmap(off, PG);
	close(fd);

	int ro = open("f", O_RDONLY);
	EXPECT_ERR("mmap(shared PROT_WRITE on O_RDONLY)", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	char *rp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	EXPECT_OK("mmap(private PROT_WRITE on O_RDONLY)", rp == MAP_FAILED ? -1 : 0);
	munmap(rp, PG);
	close(ro);
	int wo = open("f", O_WRONLY);
	EXPECT_ERR("mmap(O_WRONLY fd)", mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	close(wo);
	EXPECT_ERR("mmap(bad fd)", mmap(NULL, PG, PROT_READ, MAP_SHARED, 12345, 0), EBADF);
	int d = open(".", O_RDONLY);
	EXPECT_ERR("mmap(directory)", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, d, 0), ENODEV);
	close(d);
	int p[2];
	CHECK(pipe(p) == 0);
	EXPECT_ERR("mmap(pipe)", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, p[0], 0), ENODEV);
	return done();
}
