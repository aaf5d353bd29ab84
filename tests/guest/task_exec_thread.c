/* execve from a non-leader thread: the other threads die, the exec'ing thread
 * takes over the thread-group id, and the parent sees the same pid. */
#include "guest.h"
#include <pthread.h>

static char pidbuf[32];
static char exe[PATH_MAX];
static pthread_t leader;
static int wait_leader;

static void *exec_thread(void *arg) {
	(void)arg;
	if (wait_leader)
		pthread_join(leader, NULL);
	char tidok[8];
	snprintf(tidok, sizeof tidok, "%d", syscall(SYS_gettid) != getpid());
	char *args[] = {"self", "--after", pidbuf, tidok, NULL};
	execv(exe, args);
	printf("execv failed: %s\n", errname(errno));
	exit(90);
}

static void *sleeper(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int count_threads(void) {
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *t = strstr(buf, "\nThreads:");
	return t ? atoi(t + 9) : -1;
}

int main(int argc, char **argv) {
	if (argc > 3 && strcmp(argv[1], "--after") == 0) {
		printf("new image: exec'ing thread was not the leader = %s\n", argv[3]);
		printf("new image: getpid() == original pid = %d\n", atol(argv[2]) == getpid());
		printf("new image: gettid() == getpid() = %d\n", syscall(SYS_gettid) == getpid());
		printf("new image: threads = %d\n", count_threads());
		return 6;
	}
	/* /proc/self/exe of a process whose leader has exited is gone. */
	CHECK(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
		pthread_t a, b;
		pthread_create(&a, NULL, sleeper, NULL);
		pthread_create(&b, NULL, exec_thread, NULL);
		for (;;)
			pause();
	}
	printf("child after exec from a thread: %s\n", guest_wait(pid));

	/* Same, but the leader has already exited with pthread_exit. */
	pid = fork();
	if (pid == 0) {
		snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
		leader = pthread_self();
		wait_leader = 1;
		pthread_t b;
		pthread_create(&b, NULL, exec_thread, NULL);
		pthread_exit(NULL);
	}
	printf("child after leader exit then exec: %s\n", guest_wait(pid));
	return done();
}
