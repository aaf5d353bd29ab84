/* /proc/self/task and thread counts: entries appear and disappear with
 * threads; /proc/self/status Threads:, Tgid/Pid fields; per-thread comm;
 * thread directories reachable as /proc/<tid> but not listed in /proc. */
#include "guest.h"
#include <dirent.h>
#include <pthread.h>

static int count_tasks(void) {
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long status_field(const char *path, const char *name) {
	char buf[8192];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char key[64];
	snprintf(key, sizeof key, "\n%s:", name);
	char *p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

static int gate[2];
static pid_t tids[3];

static void *worker(void *arg) {
	long i = (long)arg;
	tids[i] = syscall(SYS_gettid);
	char name[16];
	snprintf(name, sizeof name, "worker-%ld", i);
	pthread_setname_np(pthread_self(), name);
	char c;
	if (read(gate[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

int main(void) {
	printf("tasks = %d, Threads: %ld\n", count_tasks(), status_field("/proc/self/status", "Threads"));
	printf("status Tgid == Pid == getpid = %d\n", status_field("/proc/self/status", "Tgid") == getpid() &&
	                                                   status_field("/proc/self/status", "Pid") == getpid());
	CHECK(pipe(gate) == 0);
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 3; i++)
		while (__atomic_load_n(&tids[i], __ATOMIC_SEQ_CST) == 0)
			usleep(1000);
	printf("with 3 threads: tasks = %d, Threads: %ld\n", count_tasks(), status_field("/proc/self/status", "Threads"));
	char path[128], comm[32] = {0};
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[1]);
	for (int i = 0; i < 2000; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, comm, sizeof comm - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			comm[n] = 0;
			if (strcmp(comm, "worker-1\n") == 0)
				break;
		}
		usleep(1000);
	}
	printf("task/<tid>/comm = %s", comm);
	snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[2]);
	printf("thread status: Pid is the tid %d, Tgid is the pid %d\n", status_field(path, "Pid") == tids[2],
	       status_field(path, "Tgid") == getpid());
	snprintf(path, sizeof path, "/proc/%d", tids[0]);
	struct stat st;
	printf("/proc/<tid> reachable = %d\n", stat(path, &st) == 0);
	DIR *d = opendir("/proc");
	int listed = 0;
	char tidname[32];
	snprintf(tidname, sizeof tidname, "%d", tids[0]);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, tidname) == 0)
			listed = 1;
	closedir(d);
	printf("/proc/<tid> listed in /proc = %d\n", listed);
	close(gate[1]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	/* Exited threads may linger briefly until released: wait (bounded). */
	for (int i = 0; i < 2000 && count_tasks() != 1; i++)
		usleep(1000);
	printf("after join: tasks = %d, Threads: %ld\n", count_tasks(), status_field("/proc/self/status", "Threads"));
	return done();
}
