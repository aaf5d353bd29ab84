/* Processes (not threads) sharing state through clone flags: CLONE_VM
 * without CLONE_THREAD (own pid, shared memory, waited with __WCLONE when
 * the exit signal is not SIGCHLD), CLONE_VFORK suspends the parent,
 * CLONE_FILES shares the fd table, CLONE_FS shares the cwd and umask. */
#include "guest.h"
#include <sched.h>
#include <sys/mman.h>

static volatile int shared_val;
static volatile int order[4], n_order;
static int fd_from_child = -1;

static int child_vm(void *arg) {
	(void)arg;
	shared_val = 42;
	order[n_order++] = 1;
	return 7;
}

static int child_files(void *arg) {
	(void)arg;
	fd_from_child = open("opened-by-child", O_CREAT | O_WRONLY, 0644);
	if (chdir("sub") != 0)
		return 1;
	umask(077);
	return 0;
}

int main(void) {
	size_t sz = 256 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	CHECK(stack != MAP_FAILED);

	fflush(stdout);
	pid_t c = clone(child_vm, stack + sz, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	order[n_order++] = 2;
	printf("CLONE_VM|CLONE_VFORK: child ran before parent resumed = %d\n", order[0] == 1 && order[1] == 2);
	printf("parent sees child's memory write = %d\n", shared_val == 42);
	printf("child: %s\n", guest_wait(c));

	shared_val = 0;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	c = clone(child_vm, stack + sz, CLONE_VM | SIGUSR2, NULL);
	int st;
	EXPECT_ERR("waitpid(clone child without __WCLONE)", waitpid(c, &st, 0), ECHILD);
	EXPECT_EQ("waitpid(__WCLONE) == pid", waitpid(c, &st, __WCLONE) == c, 1);
	printf("CLONE_VM child (exit signal SIGUSR2): %s, shared write seen %d\n", guest_wstatus(st), shared_val == 42);

	CHECK(mkdir("sub", 0755) == 0);
	mode_t old = umask(022);
	c = clone(child_files, stack + sz, CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_VFORK | SIGCHLD, NULL);
	printf("CLONE_FILES: child's fd valid here = %d\n", fd_from_child >= 0 && fcntl(fd_from_child, F_GETFD) >= 0);
	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	printf("CLONE_FS: cwd now %s, umask now %03o\n", strrchr(cwd, '/') + 1, umask(old));
	printf("child: %s\n", guest_wait(c));
	CHECK(chdir("..") == 0);

	/* Without CLONE_FILES the table is copied: a child close does not affect
	 * us. */
	int keep = open("opened-by-child", O_RDONLY);
	c = fork();
	if (c == 0) {
		close(keep);
		_exit(0);
	}
	guest_wait(c);
	printf("fork child's close leaves our fd = %d\n", fcntl(keep, F_GETFD) >= 0);
	return done();
}
