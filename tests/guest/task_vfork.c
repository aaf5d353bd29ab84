/* vfork: the child runs first in the parent's memory; the parent stays
 * blocked until the child calls _exit or execve. */
#include "guest.h"

static volatile int shared_var = 1;

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		printf("exec'd child: argv[2] = %s\n", argv[2]);
		return 4;
	}
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		shared_var = 2;
		if (write(p[1], "c", 1) != 1)
			_exit(90);
		_exit(5);
	}
	/* The child has already run to _exit. */
	CHECK(write(p[1], "p", 1) == 1);
	char buf[3] = {0};
	CHECK(read(p[0], buf, 2) == 2);
	printf("order of writes = %s\n", buf);
	printf("parent sees child's write to memory = %d\n", shared_var == 2);
	printf("vfork child: %s\n", guest_wait(pid));

	/* vfork + execve: the parent resumes once the child has exec'd. */
	shared_var = 10;
	pid = vfork();
	if (pid == 0) {
		shared_var = 11;
		char *args[] = {"self", "exec-child", "from-vfork", NULL};
		execv("/proc/self/exe", args);
		_exit(91);
	}
	/* The exec'd child prints: wait for it before printing anything. */
	int pre_exec_write_seen = shared_var == 11;
	printf("exec'd vfork child: %s\n", guest_wait(pid));
	printf("after exec: parent saw the pre-exec write = %d\n", pre_exec_write_seen);

	/* A failing execve in the vfork child: the child reports errno through
	 * shared memory. */
	static volatile int child_errno;
	pid = vfork();
	if (pid == 0) {
		char *args[] = {"nope", NULL};
		execv("./does-not-exist", args);
		child_errno = errno;
		_exit(6);
	}
	printf("child's execve errno = %s\n", errname(child_errno));
	printf("failed-exec child: %s\n", guest_wait(pid));
	return done();
}
