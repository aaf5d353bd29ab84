/* readv/writev/preadv2 edge cases: zero counts, zero-length iovecs, IOV_MAX. */
#include "guest.h"
#include <sys/uio.h>

int main(void) {
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct iovec none[1] = {{NULL, 0}};
	EXPECT_EQ("writev(iovcnt 0)", writev(fd, none, 0), 0);
	EXPECT_EQ("writev(one empty iovec)", writev(fd, none, 1), 0);
	/* Empty iovecs with bad pointers are skipped. */
	struct iovec empties[2] = {{(void *)1, 0}, {"ok", 2}};
	EXPECT_EQ("writev(empty bad iovec + 2 bytes)", writev(fd, empties, 2), 2);
	static struct iovec many[1025];
	static char bytes[1024];
	for (int i = 0; i < 1024; i++) {
		bytes[i] = 'a' + i % 26;
		many[i].iov_base = &bytes[i];
		many[i].iov_len = 1;
	}
	EXPECT_EQ("writev(IOV_MAX iovecs)", writev(fd, many, 1024), 1024);
	EXPECT_ERR("writev(IOV_MAX+1)", writev(fd, many, 1025), EINVAL);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("size = %ld\n", (long)st.st_size);
	char a[3] = {0}, b[4] = {0};
	struct iovec rv[2] = {{a, 2}, {b, 3}};
	EXPECT_EQ("preadv(offset 2)", preadv(fd, rv, 2, 2), 5);
	printf("preadv = [%s][%s]\n", a, b);
	EXPECT_EQ("preadv2(offset -1 = current)", preadv2(fd, rv, 2, -1, 0), 0);
	lseek(fd, 0, SEEK_SET);
	EXPECT_EQ("preadv2(offset -1 after rewind)", preadv2(fd, rv, 2, -1, 0), 5);
	printf("preadv2 = [%s][%s], offset now = %ld\n", a, b, (long)lseek(fd, 0, SEEK_CUR));
	EXPECT_ERR("preadv2(bad flags)", preadv2(fd, rv, 2, 0, 0x1000), EOPNOTSUPP);
	/* An iov_len that is negative as ssize_t is rejected before any copy. */
	struct iovec huge[2] = {{a, 2}, {b, (size_t)1 << 63}};
	EXPECT_ERR("readv(iov_len > SSIZE_MAX)", readv(fd, huge, 2), EINVAL);
	close(fd);
	return done();
}
