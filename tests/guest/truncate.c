/* truncate/ftruncate: grow with zeros, shrink, errors. */
#include "guest.h"

int main(void) {
	put_file("f", "hello world");
	struct stat st;
	EXPECT_EQ("truncate(f, 5)", truncate("f", 5), 0);
	CHECK(stat("f", &st) == 0);
	printf("size = %ld\n", (long)st.st_size);
	EXPECT_EQ("truncate(f, 8)", truncate("f", 8), 0);
	char buf[16];
	int fd = open("f", O_RDWR);
	EXPECT_EQ("read grown", read(fd, buf, sizeof buf), 8);
	printf("bytes =");
	for (int i = 0; i < 8; i++)
		printf(" %02x", (unsigned char)buf[i]);
	printf("\n");
	EXPECT_EQ("ftruncate(0)", ftruncate(fd, 0), 0);
	EXPECT_EQ("offset kept after ftruncate", lseek(fd, 0, SEEK_CUR), 8);
	EXPECT_EQ("write at old offset", write(fd, "Z", 1), 1);
	CHECK(fstat(fd, &st) == 0);
	printf("size after write past end = %ld\n", (long)st.st_size);
	EXPECT_EQ("ftruncate(1 MiB)", ftruncate(fd, 1 << 20), 0);
	CHECK(fstat(fd, &st) == 0);
	printf("size = %ld\n", (long)st.st_size);
	EXPECT_EQ("pread in the grown part", pread(fd, buf, 4, 500000), 4);
	CHECK(buf[0] == 0 && buf[3] == 0);
	EXPECT_ERR("ftruncate(-1)", ftruncate(fd, -1), EINVAL);
	close(fd);

	fd = open("f", O_RDONLY);
	EXPECT_ERR("ftruncate(O_RDONLY fd)", ftruncate(fd, 0), EINVAL);
	close(fd);
	EXPECT_ERR("ftruncate(bad fd)", ftruncate(-1, 0), EBADF);
	EXPECT_ERR("truncate(missing)", truncate("missing", 0), ENOENT);
	CHECK(mkdir("d", 0755) == 0);
	EXPECT_ERR("truncate(dir)", truncate("d", 0), EISDIR);
	fd = open("d", O_RDONLY);
	EXPECT_ERR("ftruncate(dir fd)", ftruncate(fd, 0), EINVAL);
	close(fd);
	EXPECT_ERR("truncate(f, -1)", truncate("f", -1), EINVAL);
	return done();
}
