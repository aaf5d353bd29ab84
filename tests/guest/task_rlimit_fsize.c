/* RLIMIT_FSIZE: a write crossing the limit is short, a write at the limit
 * raises SIGXFSZ (default action kills) or fails with EFBIG when ignored. */
#include "guest.h"
#include <sys/resource.h>

static char buf[4096];

int main(void) {
	struct rlimit core = {0, 0};
	setrlimit(RLIMIT_CORE, &core);
	memset(buf, 'a', sizeof buf);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {1000, 1000};
		setrlimit(RLIMIT_FSIZE, &r);
		int fd = open("f1", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		printf("  write(1500) with limit 1000 = %zd\n", write(fd, buf, 1500));
		fflush(stdout);
		ssize_t n = write(fd, buf, 10);
		printf("  not reached: %zd\n", n);
		_exit(1);
	}
	printf("default SIGXFSZ: %s\n", guest_wait(c));
	struct stat st;
	CHECK(stat("f1", &st) == 0);
	printf("f1 size = %ld\n", (long)st.st_size);

	c = fork();
	if (c == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit r = {1000, 1000};
		setrlimit(RLIMIT_FSIZE, &r);
		int fd = open("f2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		EXPECT_EQ("  write(1000)", write(fd, buf, 1000), 1000);
		EXPECT_ERR("  write at limit, SIGXFSZ ignored", write(fd, buf, 1), EFBIG);
		EXPECT_ERR("  pwrite past limit", pwrite(fd, buf, 1, 5000), EFBIG);
		EXPECT_ERR("  ftruncate(2000)", ftruncate(fd, 2000), EFBIG);
		EXPECT_EQ("  ftruncate(500) shrinking", ftruncate(fd, 500), 0);
		EXPECT_EQ("  lseek to 999 + write(5) is short", (lseek(fd, 999, SEEK_SET), write(fd, buf, 5)), 1);
		sigset_t pend;
		sigpending(&pend);
		printf("  SIGXFSZ pending while ignored = %d\n", sigismember(&pend, SIGXFSZ));
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("ignored SIGXFSZ: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGXFSZ);
		sigprocmask(SIG_BLOCK, &set, NULL);
		struct rlimit r = {100, 100};
		setrlimit(RLIMIT_FSIZE, &r);
		int fd = open("f3", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		EXPECT_ERR("  write past limit, SIGXFSZ blocked", pwrite(fd, buf, 10, 100), EFBIG);
		sigset_t pend;
		sigpending(&pend);
		printf("  SIGXFSZ pending while blocked = %d\n", sigismember(&pend, SIGXFSZ));
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("blocked SIGXFSZ: %s\n", guest_wait(c));
	return done();
}
