// args: first --second third
/* /proc/self: exe, maps, fd, cmdline, status. */
#include "guest.h"
#include <dirent.h>

static long slurp(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long total = 0, n;
	while (total < (long)size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	close(fd);
	return total;
}

int main(int argc, char **argv) {
	const char *prog = strrchr(argv[0], '/');
	prog = prog ? prog + 1 : argv[0];
	char buf[65536];

	long n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	const char *base = strrchr(buf, '/');
	printf("exe absolute = %d, basename matches = %d\n", buf[0] == '/', base && strcmp(base + 1, prog) == 0);
	char real[PATH_MAX];
	CHECK(realpath(argv[0], real) != NULL);
	printf("exe equals realpath(argv[0]) = %d\n", strcmp(buf, real) == 0);

	n = slurp("/proc/self/maps", buf, sizeof buf);
	CHECK(n > 0);
	printf("maps mentions program = %d\n", strstr(buf, real) != NULL);
	printf("maps has [stack] = %d\n", strstr(buf, "[stack]") != NULL);
	int wellformed = 1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || lo >= hi || (perms[3] != 'p' && perms[3] != 's'))
			wellformed = 0;
	}
	printf("maps lines well formed = %d\n", wellformed);

	int extra = open("/dev/null", O_RDONLY);
	DIR *d = opendir("/proc/self/fd");
	CHECK(d != NULL);
	int fds[64], nfds = 0, dirfd_ = d ? dirfd(d) : -1;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != dirfd_ && nfds < 64)
			fds[nfds++] = fd;
	}
	if (d)
		closedir(d);
	/* Descriptors inherited from whoever started us may also be listed:
	 * report only the ones this test knows about. */
	int seen[4] = {0};
	for (int i = 0; i < nfds; i++) {
		if (fds[i] >= 0 && fds[i] <= 2)
			seen[fds[i]] = 1;
		if (fds[i] == extra)
			seen[3] = 1;
	}
	printf("fd dir lists 0 = %d, 1 = %d, 2 = %d, opened fd = %d\n", seen[0], seen[1], seen[2], seen[3]);
	CHECK(seen[0] && seen[1] && seen[2] && seen[3]);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", extra);
	n = readlink(path, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("fd link target = %s\n", buf);
	close(extra);

	n = slurp("/proc/self/cmdline", buf, sizeof buf);
	int count = 0;
	for (long i = 0; i < n; i++)
		count += buf[i] == 0;
	printf("cmdline NULs = %d (argc %d)\n", count, argc);
	const char *arg = buf;
	for (int i = 0; i < argc && arg < buf + n; i++, arg += strlen(arg) + 1)
		if (i > 0)
			printf("cmdline[%d] = %s\n", i, arg);
	printf("cmdline[0] equals argv[0] = %d\n", strcmp(buf, argv[0]) == 0);

	n = slurp("/proc/self/status", buf, sizeof buf);
	char *name = strstr(buf, "Name:");
	CHECK(name != NULL);
	if (name) {
		char *end = strchr(name, '\n');
		if (end)
			*end = 0;
		name += 5;
		while (*name == ' ' || *name == '\t')
			name++;
		char want[16];
		snprintf(want, sizeof want, "%.15s", prog);
		printf("status Name matches program (truncated to 15) = %d\n", strcmp(name, want) == 0);
	}
	struct stat st;
	EXPECT_EQ("stat(/proc/self)", stat("/proc/self", &st), 0);
	printf("/proc/self is dir = %d\n", S_ISDIR(st.st_mode));
	return done();
}
