/* fork: the child gets a copy of memory (globals, heap, stack, private and
 * shared mappings) and of the fd table; copy-on-write in both directions. */
#include "guest.h"
#include <sys/mman.h>

static int global = 1;

int main(void) {
	int *heap = malloc(sizeof *heap);
	*heap = 10;
	volatile int local = 100;
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(priv != MAP_FAILED && shared != MAP_FAILED);
	*priv = 1000;
	*shared = 2000;
	int to_child[2], to_parent[2];
	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		int ok = getppid() == parent && getpid() != parent;
		/* Wait until the parent has written its copies. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(90);
		printf("child: sees old values = %d %d %d %d\n", global == 1, *heap == 10, local == 100, *priv == 1000);
		printf("child: sees parent's shared write = %d\n", *shared == 2001);
		global = 2;
		*heap = 20;
		local = 200;
		*priv = 1002;
		*shared = 2002;
		/* Shares the file offset with the parent. */
		if (write(fd, "abc", 3) != 3)
			ok = 0;
		close(fd);
		if (write(to_parent[1], "x", 1) != 1)
			ok = 0;
		_exit(ok ? 7 : 91);
	}
	CHECK(pid > 0);
	printf("fork returned positive pid = %d\n", pid > 0);
	global = 3;
	*heap = 30;
	local = 300;
	*priv = 1001;
	*shared = 2001;
	CHECK(write(to_child[1], "g", 1) == 1);
	char c;
	CHECK(read(to_parent[0], &c, 1) == 1);
	printf("parent: keeps own values = %d %d %d %d\n", global == 3, *heap == 30, local == 300, *priv == 1001);
	printf("parent: sees child's shared write = %d\n", *shared == 2002);
	printf("child status: %s\n", guest_wait(pid));
	EXPECT_EQ("shared offset after child's write", lseek(fd, 0, SEEK_CUR), 3);
	printf("fd still open in parent = %d\n", fcntl(fd, F_GETFD) >= 0);

	/* Many children, each with its own exit code. */
	pid_t kids[5];
	for (int i = 0; i < 5; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(global + i);
	}
	for (int i = 0; i < 5; i++)
		printf("child %d: %s\n", i, guest_wait(kids[i]));
	EXPECT_ERR("wait with no children", wait(NULL), ECHILD);
	return done();
}
