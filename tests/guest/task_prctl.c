/* prctl: PR_SET_NAME/PR_GET_NAME and /proc comm (process and thread),
 * PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG/GET. */
#include "guest.h"
#include <pthread.h>
#include <sys/prctl.h>

static void read_comm(const char *path, char *out, size_t n) {
	int fd = open(path, O_RDONLY);
	ssize_t r = fd >= 0 ? read(fd, out, n - 1) : -1;
	if (fd >= 0)
		close(fd);
	out[r > 0 ? r : 0] = 0;
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
}

static int tp[2];

static void *named_thread(void *arg) {
	(void)arg;
	prctl(PR_SET_NAME, "worker-thread", 0, 0, 0);
	char c;
	if (read(tp[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

int main(void) {
	char name[32] = {0}, comm[64];
	EXPECT_EQ("PR_SET_NAME(guest-name)", prctl(PR_SET_NAME, "guest-name", 0, 0, 0), 0);
	EXPECT_EQ("PR_GET_NAME", prctl(PR_GET_NAME, name, 0, 0, 0), 0);
	printf("name = %s\n", name);
	read_comm("/proc/self/comm", comm, sizeof comm);
	printf("/proc/self/comm = %s\n", comm);
	CHECK(prctl(PR_SET_NAME, "a-very-long-name-that-is-truncated", 0, 0, 0) == 0);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("long name truncated to 15 = %s (%zu)\n", name, strlen(name));
	read_comm("/proc/self/comm", comm, sizeof comm);
	printf("/proc/self/comm = %s\n", comm);
	int fd = open("/proc/self/comm", O_WRONLY);
	CHECK(fd >= 0 && write(fd, "via-proc", 8) == 8);
	close(fd);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("after writing /proc/self/comm: %s\n", name);

	CHECK(pipe(tp) == 0);
	pthread_t t;
	pthread_create(&t, NULL, named_thread, NULL);
	char tname[32] = {0};
	for (int i = 0; i < 2000 && strcmp(tname, "worker-thread") != 0; i++) {
		usleep(1000);
		pthread_getname_np(t, tname, sizeof tname);
	}
	printf("thread name = %s\n", tname);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("process name unchanged = %s\n", name);
	CHECK(write(tp[1], "x", 1) == 1);
	pthread_join(t, NULL);

	EXPECT_EQ("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	EXPECT_EQ("PR_SET_DUMPABLE(0)", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_EQ("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_ERR("PR_SET_DUMPABLE(2)", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	EXPECT_EQ("PR_SET_DUMPABLE(1)", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);

	int sig = -1;
	EXPECT_EQ("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	printf("pdeathsig = %d\n", sig);
	EXPECT_EQ("PR_SET_PDEATHSIG(SIGUSR1)", prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0), 0);
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	printf("pdeathsig = SIG%s\n", guest_signame(sig));
	EXPECT_ERR("PR_SET_PDEATHSIG(99)", prctl(PR_SET_PDEATHSIG, 99, 0, 0, 0), EINVAL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int s = -1;
		prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
		_exit(s);
	}
	printf("pdeathsig cleared in fork child: %s\n", guest_wait(c));
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

	c = fork();
	if (c == 0) {
		EXPECT_EQ("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
		EXPECT_ERR("PR_SET_NO_NEW_PRIVS(1, junk arg)", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
		EXPECT_EQ("PR_SET_NO_NEW_PRIVS(1)", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
		EXPECT_EQ("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
		EXPECT_ERR("PR_SET_NO_NEW_PRIVS(0)", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
		pid_t g = fork();
		if (g == 0)
			_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		printf("  no_new_privs inherited: %s\n", guest_wait(g));
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("no_new_privs child: %s\n", guest_wait(c));
	EXPECT_EQ("PR_GET_NO_NEW_PRIVS in parent", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	EXPECT_ERR("prctl(unknown option)", prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
	return done();
}
