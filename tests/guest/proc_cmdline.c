/* /proc/<pid>/cmdline, comm, environ and exe of an exec'd child; cmdline
 * after the child rewrites its argv area; the parent's own cmdline. */
#include "guest.h"

static long slurp(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long total = 0, n;
	while (total < (long)size && (n = read(fd, buf + total, size - total)) > 0)
		total += n;
	close(fd);
	return total;
}

static void print_nul_list(const char *label, const char *buf, long n) {
	printf("%s (%ld bytes):", label, n);
	for (long i = 0; i < n;) {
		printf(" [%s]", buf + i);
		i += strlen(buf + i) + 1;
	}
	printf("\n");
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--child") == 0) {
		char x;
		/* fd 20 is the control pipe: 'r' rewrites argv, EOF exits; fd 21
		 * acknowledges. */
		while (read(20, &x, 1) == 1) {
			if (x == 'r') {
				strcpy(argv[2], "REWR");
				if (write(21, "k", 1) != 1)
					return 1;
			}
		}
		return 0;
	}
	int ctl[2], ack[2];
	CHECK(pipe(ctl) == 0 && pipe(ack) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(ctl[0], 20);
		dup2(ack[1], 21);
		close(ctl[1]);
		close(ctl[0]);
		close(ack[0]);
		close(ack[1]);
		char *args[] = {"cmdline-child", "--child", "arg two", "", "last", NULL};
		char *envp[] = {"A=1", "B=two", NULL};
		execve("/proc/self/exe", args, envp);
		_exit(90);
	}
	close(ctl[0]);
	close(ack[1]);
	char path[64], buf[4096];
	/* Wait until the exec happened: environ changes. */
	snprintf(path, sizeof path, "/proc/%d/environ", c);
	long n = 0;
	for (int i = 0; i < 2000; i++) {
		n = slurp(path, buf, sizeof buf);
		if (n > 0 && memcmp(buf, "A=1", 3) == 0)
			break;
		usleep(1000);
	}
	print_nul_list("environ", buf, n);
	snprintf(path, sizeof path, "/proc/%d/cmdline", c);
	n = slurp(path, buf, sizeof buf);
	print_nul_list("cmdline", buf, n);
	snprintf(path, sizeof path, "/proc/%d/comm", c);
	n = slurp(path, buf, sizeof buf);
	printf("comm = %.*s", (int)n, buf);
	char exe1[PATH_MAX] = {0}, exe2[PATH_MAX] = {0};
	snprintf(path, sizeof path, "/proc/%d/exe", c);
	CHECK(readlink(path, exe1, sizeof exe1 - 1) > 0);
	CHECK(readlink("/proc/self/exe", exe2, sizeof exe2 - 1) > 0);
	printf("child's exe is our binary = %d\n", strcmp(exe1, exe2) == 0);

	CHECK(write(ctl[1], "r", 1) == 1);
	char k;
	CHECK(read(ack[0], &k, 1) == 1);
	snprintf(path, sizeof path, "/proc/%d/cmdline", c);
	n = slurp(path, buf, sizeof buf);
	print_nul_list("cmdline after rewrite", buf, n);
	close(ctl[1]);
	printf("child: %s\n", guest_wait(c));

	n = slurp("/proc/self/cmdline", buf, sizeof buf);
	long want = 0;
	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	printf("own cmdline length matches argv = %d\n", n == want);
	return done();
}
