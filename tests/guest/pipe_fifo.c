/* FIFOs: mkfifo, open blocking until the other side opens (two processes),
 * O_NONBLOCK opens (reader succeeds, writer ENXIO without a reader), data
 * and EOF, O_RDWR open never blocks. */
#include "guest.h"

int main(void) {
	EXPECT_EQ("mkfifo(fifo)", mkfifo("fifo", 0644), 0);
	EXPECT_ERR("mkfifo(existing)", mkfifo("fifo", 0644), EEXIST);
	struct stat st;
	CHECK(stat("fifo", &st) == 0);
	printf("S_ISFIFO = %d, size = %ld\n", S_ISFIFO(st.st_mode), (long)st.st_size);
	EXPECT_ERR("open(O_WRONLY|O_NONBLOCK) without reader", open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open("fifo", O_RDONLY | O_NONBLOCK);
	printf("open(O_RDONLY|O_NONBLOCK) without writer ok = %d\n", r >= 0);
	char buf[64];
	EXPECT_EQ("read with no writer ever (EOF)", read(r, buf, sizeof buf), 0);
	int w = open("fifo", O_WRONLY | O_NONBLOCK);
	printf("open(O_WRONLY|O_NONBLOCK) with a reader ok = %d\n", w >= 0);
	CHECK(write(w, "abc", 3) == 3);
	EXPECT_EQ("read", read(r, buf, sizeof buf), 3);
	EXPECT_ERR("read with writer open, empty", read(r, buf, sizeof buf), EAGAIN);
	close(w);
	EXPECT_EQ("read after writer closed", read(r, buf, sizeof buf), 0);
	close(r);

	/* Blocking opens rendezvous across processes. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int fd = open("fifo", O_WRONLY); /* blocks until the parent opens */
		if (fd < 0)
			_exit(90);
		const char *msg = "hello through the fifo";
		if (write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
			_exit(91);
		close(fd);
		_exit(0);
	}
	int fd = open("fifo", O_RDONLY);
	printf("blocking open for read ok = %d\n", fd >= 0);
	memset(buf, 0, sizeof buf);
	ssize_t total = 0, n;
	while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	printf("read %zd bytes: %s\n", total, buf);
	close(fd);
	printf("writer: %s\n", guest_wait(c));

	/* Reader blocks in open until a writer comes. */
	c = fork();
	if (c == 0) {
		int fd2 = open("fifo", O_RDONLY);
		char b2[8];
		ssize_t k = read(fd2, b2, sizeof b2);
		_exit(k == 2 && memcmp(b2, "hi", 2) == 0 ? 0 : 1);
	}
	fd = open("fifo", O_WRONLY);
	CHECK(write(fd, "hi", 2) == 2);
	close(fd);
	printf("reader: %s\n", guest_wait(c));

	fd = open("fifo", O_RDWR);
	printf("O_RDWR open does not block = %d\n", fd >= 0);
	CHECK(write(fd, "xy", 2) == 2);
	EXPECT_EQ("read own data back", read(fd, buf, sizeof buf), 2);
	close(fd);
	EXPECT_EQ("unlink(fifo)", unlink("fifo"), 0);
	EXPECT_EQ("mknod(S_IFIFO)", mknod("fifo2", S_IFIFO | 0600, 0), 0);
	CHECK(stat("fifo2", &st) == 0);
	printf("mknod fifo S_ISFIFO = %d, mode = %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
	return done();
}
