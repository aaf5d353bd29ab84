/* RLIMIT_NOFILE enforcement (EMFILE from open/pipe/dup/socket, EBADF/EINVAL
 * for explicit fd numbers), raising limits as non-root, RLIMIT_STACK. */
#include "guest.h"
#include <sys/resource.h>
#include <sys/socket.h>

int main(void) {
	struct rlimit r;
	CHECK(getrlimit(RLIMIT_STACK, &r) == 0);
	printf("RLIMIT_STACK soft nonzero = %d, soft <= hard = %d\n", r.rlim_cur > 0, r.rlim_cur <= r.rlim_max);
	/* Work with a known fd layout: close everything above 2. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	r.rlim_cur = 10;
	r.rlim_max = 100;
	EXPECT_EQ("setrlimit(NOFILE 10/100)", setrlimit(RLIMIT_NOFILE, &r), 0);
	int opened = 0, last = -1;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			printf("open stopped with %s\n", errname(errno));
			break;
		}
		opened++;
		last = fd;
	}
	printf("opened %d fds, highest fd = %d\n", opened, last);
	int p[2];
	EXPECT_ERR("pipe at limit", pipe(p), EMFILE);
	EXPECT_ERR("dup at limit", dup(0), EMFILE);
	EXPECT_ERR("socket at limit", socket(AF_UNIX, SOCK_STREAM, 0), EMFILE);
	EXPECT_ERR("dup2(0, 10)", dup2(0, 10), EBADF);
	EXPECT_ERR("fcntl(F_DUPFD, 10)", fcntl(0, F_DUPFD, 10), EINVAL);
	close(5);
	EXPECT_EQ("open after close(5) gets 5", open("/dev/null", O_RDONLY), 5);
	EXPECT_EQ("dup2(0, 9) replaces an open fd", dup2(0, 9), 9);

	/* Lowering the limit does not close fds above it. */
	r.rlim_cur = 4;
	EXPECT_EQ("setrlimit(NOFILE 4)", setrlimit(RLIMIT_NOFILE, &r), 0);
	printf("fd 9 still open = %d\n", fcntl(9, F_GETFD) >= 0);
	EXPECT_ERR("dup(0) with limit 4", dup(0), EMFILE);
	r.rlim_cur = 101;
	EXPECT_ERR("setrlimit(soft > hard)", setrlimit(RLIMIT_NOFILE, &r), EINVAL);
	for (int fd = 3; fd < 20; fd++)
		close(fd);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit cr;
		getrlimit(RLIMIT_NOFILE, &cr);
		printf("  child inherits NOFILE %lu/%lu\n", (unsigned long)cr.rlim_cur, (unsigned long)cr.rlim_max);
		setuid(65534);
		cr.rlim_cur = 50;
		EXPECT_EQ("  non-root raises soft below hard", setrlimit(RLIMIT_NOFILE, &cr), 0);
		cr.rlim_max = 200;
		EXPECT_ERR("  non-root raises hard", setrlimit(RLIMIT_NOFILE, &cr), EPERM);
		cr.rlim_max = 60;
		EXPECT_EQ("  non-root lowers hard", setrlimit(RLIMIT_NOFILE, &cr), 0);
		cr.rlim_max = 100;
		EXPECT_ERR("  and cannot raise it back", setrlimit(RLIMIT_NOFILE, &cr), EPERM);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));
	return done();
}
