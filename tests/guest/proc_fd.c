/* /proc/self/fd and fdinfo: entries follow dup/close, link targets for
 * files, pipes and sockets, fdinfo pos and flags, /proc/<child>/fd of a
 * child with a known fd table. */
#include "guest.h"
#include <dirent.h>
#include <sys/socket.h>

static int count_fds(const char *dir) {
	DIR *d = opendir(dir);
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

static void link_of(int fd) {
	char path[64], target[PATH_MAX] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0) {
		printf("readlink(fd) = %s\n", errname(errno));
		return;
	}
	/* Print only the kind (pipe:, socket:) or the basename of a path. */
	char *colon = strchr(target, ':');
	if (target[0] != '/' && colon) {
		colon[1] = 0;
		printf("fd link kind = %s\n", target);
	} else {
		char *b = strrchr(target, '/');
		printf("fd link basename = %s\n", b ? b + 1 : target);
	}
}

static long fdinfo(int fd, const char *key) {
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	ssize_t n = read(f, buf, sizeof buf - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 8) : -1;
}

int main(void) {
	int base = count_fds("/proc/self/fd");
	int fd = open("file.txt", O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
	printf("after open: +%d\n", count_fds("/proc/self/fd") - base);
	int d = dup(fd);
	printf("after dup: +%d\n", count_fds("/proc/self/fd") - base);
	link_of(d);
	CHECK(write(fd, "hello", 5) == 5);
	printf("fdinfo pos of the dup = %ld\n", fdinfo(d, "pos:\t"));
	long fl = fdinfo(fd, "flags:\t");
	printf("fdinfo flags: O_RDWR %d O_APPEND %d O_CLOEXEC %d\n", (fl & O_ACCMODE) == O_RDWR, !!(fl & O_APPEND),
	       !!(fl & O_CLOEXEC));
	int cl = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	printf("dup with O_CLOEXEC shows in flags = %d\n", !!(fdinfo(cl, "flags:\t") & O_CLOEXEC));
	close(cl);
	close(d);
	close(fd);
	printf("after closing: +%d\n", count_fds("/proc/self/fd") - base);
	int p[2];
	CHECK(pipe(p) == 0);
	link_of(p[0]);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	link_of(sv[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	int again = open(path, O_RDONLY);
	CHECK(write(p[1], "z", 1) == 1);
	char c;
	printf("reopening a pipe through /proc/self/fd reads it = %d\n", again >= 0 && read(again, &c, 1) == 1 && c == 'z');
	EXPECT_ERR("readlink(/proc/self/fd/999)", readlink("/proc/self/fd/999", path, sizeof path), ENOENT);

	/* A child with fds 0-2 and exactly one more. */
	fflush(stdout);
	pid_t k = fork();
	if (k == 0) {
		for (int i = 3; i < 1024; i++)
			if (i != p[0])
				close(i);
		char x;
		if (read(p[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	snprintf(path, sizeof path, "/proc/%d/fd", k);
	int n = -1;
	for (int i = 0; i < 2000; i++) {
		n = count_fds(path);
		if (n == 4)
			break;
		usleep(1000);
	}
	printf("child's /proc/<pid>/fd entries = %d\n", n);
	CHECK(write(p[1], "q", 1) == 1);
	printf("child: %s\n", guest_wait(k));
	return done();
}
