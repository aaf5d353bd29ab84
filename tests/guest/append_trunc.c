/* O_APPEND and O_TRUNC. */
#include "guest.h"

static void show(const char *label) {
	char buf[64] = {0};
	int fd = open("f", O_RDONLY);
	long n = read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%s: \"%.*s\"\n", label, (int)(n > 0 ? n : 0), buf);
}

int main(void) {
	put_file("f", "start");
	int fd = open("f", O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	EXPECT_EQ("lseek(0) on O_APPEND", lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ("write(-a) appends", write(fd, "-a", 2), 2);
	EXPECT_EQ("offset after append", lseek(fd, 0, SEEK_CUR), 7);
	show("after append");
	/* Linux: pwrite on an O_APPEND file appends (see pwrite(2) BUGS). */
	EXPECT_EQ("pwrite(-p, 0) on O_APPEND", pwrite(fd, "-p", 2, 0), 2);
	show("after pwrite");
	close(fd);

	int other = open("f", O_WRONLY);
	fd = open("f", O_WRONLY | O_APPEND);
	EXPECT_EQ("write via plain fd at 0", write(other, "S", 1), 1);
	EXPECT_EQ("append via second fd", write(fd, "+", 1), 1);
	show("two writers");
	close(other);
	close(fd);

	fd = open("f", O_RDWR | O_TRUNC);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("size after O_TRUNC = %ld\n", (long)st.st_size);
	close(fd);
	put_file("f", "keep");
	fd = open("f", O_RDONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	printf("size after O_RDONLY|O_TRUNC = %ld\n", (long)st.st_size);
	close(fd);
	put_file("f", "again");
	fd = open("f", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	EXPECT_EQ("write after trunc+append", write(fd, "xy", 2), 2);
	close(fd);
	show("trunc+append");
	return done();
}
