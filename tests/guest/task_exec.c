/* execve of ourselves (/proc/self/exe) with a mode argument: argv/envp,
 * pid kept, O_CLOEXEC fds closed, others kept, caught signals reset to
 * default, ignored stay ignored, blocked mask and pending signals kept. */
#include "guest.h"

static void handler(int sig) {
	(void)sig;
}

static int after_exec(char **argv) {
	printf("new image: argc ok, argv[2] = %s, argv[3] = %s\n", argv[2], argv[3]);
	printf("new image: env GUEST_VAR = %s, RVISOR_GUEST set = %d\n", getenv("GUEST_VAR") ? getenv("GUEST_VAR") : "(unset)",
	       getenv("RVISOR_GUEST") != NULL);
	printf("new image: same pid = %d\n", atol(argv[4]) == getpid());
	printf("new image: fd 20 (no cloexec) open = %d\n", fcntl(20, F_GETFD) >= 0);
	EXPECT_ERR("new image: fcntl(21 was cloexec)", fcntl(21, F_GETFD), EBADF);
	char buf[8] = {0};
	CHECK(lseek(20, 0, SEEK_SET) == 0);
	CHECK(read(20, buf, 5) == 5);
	printf("new image: read kept fd = %s\n", buf);
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	printf("new image: USR1 handler reset to default = %d\n", sa.sa_handler == SIG_DFL);
	sigaction(SIGUSR2, NULL, &sa);
	printf("new image: USR2 still ignored = %d\n", sa.sa_handler == SIG_IGN);
	sigset_t cur, pend;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("new image: HUP still blocked = %d, USR1 blocked = %d\n", sigismember(&cur, SIGHUP),
	       sigismember(&cur, SIGUSR1));
	sigpending(&pend);
	printf("new image: HUP still pending = %d\n", sigismember(&pend, SIGHUP));
	stack_t ss;
	sigaltstack(NULL, &ss);
	printf("new image: alt stack disabled = %d\n", !!(ss.ss_flags & SS_DISABLE));
	return 9;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(argv);

	/* Failures first. */
	char *noargs[] = {"x", NULL};
	EXPECT_ERR("execve(missing)", execve("./missing", noargs, NULL), ENOENT);
	put_file("plain", "not a program\n");
	EXPECT_ERR("execve(non-executable file)", execve("./plain", noargs, NULL), EACCES);
	chmod("plain", 0755);
	EXPECT_ERR("execve(executable garbage)", execve("./plain", noargs, NULL), ENOEXEC);
	EXPECT_ERR("execve(directory)", execve(".", noargs, NULL), EACCES);
	EXPECT_ERR("execve(bad path pointer)", syscall(SYS_execve, (char *)1, noargs, NULL), EFAULT);
	EXPECT_ERR("execve(bad argv)", syscall(SYS_execve, "/proc/self/exe", (char **)1, NULL), EFAULT);
	printf("still running after failed execs = 1\n");

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (write(fd, "kept!", 5) != 5)
			_exit(90);
		dup2(fd, 20);
		dup3(fd, 21, O_CLOEXEC);
		close(fd);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = handler;
		sigaction(SIGUSR1, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGUSR2, &sa, NULL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		kill(getpid(), SIGHUP);
		static char altstack[65536];
		stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
		sigaltstack(&ss, NULL);
		char pidbuf[32];
		snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
		char *args[] = {"renamed-argv0", "--after-exec", "two", "three", pidbuf, NULL};
		char *envp[] = {"GUEST_VAR=hello", NULL};
		execve("/proc/self/exe", args, envp);
		_exit(91);
	}
	printf("exec'd child: %s\n", guest_wait(pid));
	return done();
}
