/* eventfd/eventfd2: counter reads and writes, EFD_SEMAPHORE, EFD_NONBLOCK,
 * the limits (u64 max, short and long buffers), poll and epoll readiness, a read
 * and a write that block until another thread makes room, sharing across
 * fork, the /proc link name, bad flags. */
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static int shared_fd;

static void *late_writer(void *arg) {
	(void)arg;
	usleep(20000);
	uint64_t v = 42;
	if (write(shared_fd, &v, 8) != 8)
		FAIL("late write");
	return NULL;
}

static void *late_reader(void *arg) {
	(void)arg;
	usleep(20000);
	uint64_t v = 0;
	if (read(shared_fd, &v, 8) != 8)
		FAIL("late read");
	return NULL;
}

static int events(int fd) {
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

int main(void) {
	uint64_t v = 0;
	int fd = eventfd(5, 0);
	EXPECT_OK("eventfd(5)", fd);
	EXPECT_EQ("read initial", read(fd, &v, 8), 8);
	printf("value = %llu\n", (unsigned long long)v);
	v = 3;
	EXPECT_EQ("write 3", write(fd, &v, 8), 8);
	uint64_t two[2] = {4, 0};
	EXPECT_ERR("write(16 bytes)", write(fd, two, 16), EINVAL);
	EXPECT_EQ("write 4", write(fd, two, 8), 8);
	EXPECT_EQ("read (16-byte buffer)", read(fd, two, 16), 8);
	printf("sum = %llu\n", (unsigned long long)two[0]);
	char small[4] = {0};
	EXPECT_ERR("read(4 bytes)", read(fd, small, 4), EINVAL);
	EXPECT_ERR("write(4 bytes)", write(fd, small, 4), EINVAL);
	v = UINT64_MAX;
	EXPECT_ERR("write(u64 max)", write(fd, &v, 8), EINVAL);
	printf("lseek = %ld\n", (long)lseek(fd, 0, SEEK_SET));
	close(fd);

	/* Non-blocking, semaphore. */
	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	EXPECT_OK("eventfd(3, SEMAPHORE|NONBLOCK|CLOEXEC)", fd);
	printf("FD_CLOEXEC = %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
	printf("O_NONBLOCK = %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ("semaphore read", read(fd, &v, 8), 8);
		printf("semaphore value = %llu\n", (unsigned long long)v);
	}
	EXPECT_ERR("read(empty, nonblocking)", read(fd, &v, 8), EAGAIN);
	printf("empty: POLLIN = %d POLLOUT = %d\n", (events(fd) & POLLIN) != 0, (events(fd) & POLLOUT) != 0);
	v = UINT64_MAX - 1;
	EXPECT_EQ("write(max)", write(fd, &v, 8), 8);
	printf("full: POLLIN = %d POLLOUT = %d\n", (events(fd) & POLLIN) != 0, (events(fd) & POLLOUT) != 0);
	v = 1;
	EXPECT_ERR("write past max (nonblocking)", write(fd, &v, 8), EAGAIN);
	v = 0;
	EXPECT_EQ("write 0 when full", write(fd, &v, 8), 8);
	close(fd);

	/* epoll. */
	fd = eventfd(0, EFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	EXPECT_OK("epoll_ctl(ADD eventfd)", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	struct epoll_event got[2];
	EXPECT_EQ("epoll_wait(empty)", epoll_wait(ep, got, 2, 0), 0);
	v = 9;
	EXPECT_EQ("write 9", write(fd, &v, 8), 8);
	EXPECT_EQ("epoll_wait(after write)", epoll_wait(ep, got, 2, 1000), 1);
	printf("epoll data = %llu EPOLLIN = %d\n", (unsigned long long)got[0].data.u64,
	       (got[0].events & EPOLLIN) != 0);
	close(ep);
	close(fd);

	/* A read that blocks until another thread writes. */
	shared_fd = eventfd(0, 0);
	pthread_t t;
	pthread_create(&t, NULL, late_writer, NULL);
	EXPECT_EQ("blocking read", read(shared_fd, &v, 8), 8);
	printf("blocking read got %llu\n", (unsigned long long)v);
	pthread_join(t, NULL);

	/* A write that blocks until another thread reads. */
	v = UINT64_MAX - 1;
	EXPECT_EQ("fill", write(shared_fd, &v, 8), 8);
	pthread_create(&t, NULL, late_reader, NULL);
	v = 5;
	EXPECT_EQ("blocking write", write(shared_fd, &v, 8), 8);
	pthread_join(t, NULL);
	EXPECT_EQ("read after blocking write", read(shared_fd, &v, 8), 8);
	printf("after blocking write = %llu\n", (unsigned long long)v);

	/* Shared across fork. */
	pid_t child = fork();
	if (child == 0) {
		uint64_t c = 11;
		_exit(write(shared_fd, &c, 8) == 8 ? 0 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	EXPECT_EQ("read child's write", read(shared_fd, &v, 8), 8);
	printf("from child = %llu (exit %d)\n", (unsigned long long)v, WEXITSTATUS(status));

	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", shared_fd);
	EXPECT_OK("readlink", readlink(path, link, sizeof link - 1));
	printf("link = %s\n", link);
	close(shared_fd);

	EXPECT_ERR("eventfd2(bad flags)", syscall(SYS_eventfd2, 0, 0x10), EINVAL);
	int raw = syscall(SYS_eventfd, 2);
	EXPECT_OK("eventfd (old syscall)", raw);
	EXPECT_EQ("read old-syscall eventfd", read(raw, &v, 8), 8);
	printf("old syscall value = %llu\n", (unsigned long long)v);
	close(raw);
	return done();
}
