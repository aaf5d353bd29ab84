/* /proc/PID/ns: the namespace links, what they read as, that a forked
 * child shares them, what stat and lstat say of them, and the directory's
 * listing. Namespace inode numbers differ between hosts: only whether
 * they agree is printed. */
#include "guest.h"
#include <dirent.h>
#include <sys/vfs.h>
#include <sys/wait.h>

static const char *names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
                              "user", "uts"};
#define NNAMES (sizeof names / sizeof names[0])

/* readlink of /proc/<who>/ns/<name> into buf; -1 on error. */
static long link_of(const char *who, const char *name, char *buf, size_t size) {
	char path[128];
	snprintf(path, sizeof path, "/proc/%s/ns/%s", who, name);
	long n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static int cmp(const void *a, const void *b) {
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void) {
	char self[NNAMES][64];
	for (unsigned i = 0; i < NNAMES; i++) {
		long n = link_of("self", names[i], self[i], sizeof self[i]);
		char *open_br = strchr(self[i], '[');
		char *close_br = strchr(self[i], ']');
		int digits = open_br && close_br && close_br > open_br + 1 && close_br[1] == 0;
		for (char *p = open_br ? open_br + 1 : NULL; p && p < close_br; p++)
			digits &= *p >= '0' && *p <= '9';
		printf("%s -> %.*s[N] (readlink %s, number in brackets = %d)\n", names[i], open_br ? (int)(open_br - self[i]) : 0,
		       self[i], n > 0 ? "ok" : errname(errno), digits);
	}
	/* The *_for_children links name the namespace the process is in. */
	printf("pid_for_children = pid: %d, time_for_children = time: %d\n", strcmp(self[4], self[5]) == 0,
	       strcmp(self[6], self[7]) == 0);
	int distinct = 1;
	for (unsigned i = 0; i < NNAMES; i++)
		for (unsigned j = i + 1; j < NNAMES; j++)
			if (strcmp(self[i], self[j]) == 0 && !((i == 4 && j == 5) || (i == 6 && j == 7)))
				distinct = 0;
	printf("other namespaces have distinct links = %d\n", distinct);

	/* stat follows the link to the namespace: its inode number is the
	 * one in the link. lstat sees the link. */
	for (unsigned i = 0; i < NNAMES; i++) {
		char path[128];
		snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
		struct stat st, lst;
		int r = stat(path, &st), lr = lstat(path, &lst);
		unsigned long long want = strtoull(strchr(self[i], '[') ? strchr(self[i], '[') + 1 : "0", NULL, 10);
		printf("%s: stat %s, regular 0444 = %d, st_ino = link number: %d; lstat %s, symlink 0777 = %d\n", names[i],
		       r == 0 ? "ok" : errname(errno), r == 0 && st.st_mode == (S_IFREG | 0444),
		       r == 0 && (unsigned long long)st.st_ino == want, lr == 0 ? "ok" : errname(errno),
		       lr == 0 && lst.st_mode == (S_IFLNK | 0777));
	}

	/* An open namespace: fstat agrees with stat, nsfs is its file system,
	 * it cannot be read or seeked, and its fd link reads like the ns link. */
	int fd = open("/proc/self/ns/pid", O_RDONLY);
	CHECK(fd >= 0);
	struct stat st, fst;
	CHECK(stat("/proc/self/ns/pid", &st) == 0);
	CHECK(fstat(fd, &fst) == 0);
	printf("fstat of open pid namespace: same dev and ino as stat = %d\n", st.st_dev == fst.st_dev && st.st_ino == fst.st_ino);
	struct statfs sfs;
	CHECK(fstatfs(fd, &sfs) == 0);
	printf("file system is nsfs = %d\n", sfs.f_type == 0x6e736673);
	char c;
	EXPECT_ERR("read(ns fd)", read(fd, &c, 1), EINVAL);
	EXPECT_ERR("lseek(ns fd)", lseek(fd, 0, SEEK_SET), ESPIPE);
	char fdpath[64], target[64];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	long n = readlink(fdpath, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	printf("fd link = ns link: %d\n", strcmp(target, self[4]) == 0);
	close(fd);
	EXPECT_ERR("open(ns/pid, O_NOFOLLOW)", open("/proc/self/ns/pid", O_RDONLY | O_NOFOLLOW), ELOOP);
	EXPECT_ERR("open(ns/pid, O_WRONLY)", open("/proc/self/ns/pid", O_WRONLY), EPERM);
	EXPECT_ERR("readlink(ns/nope)", readlink("/proc/self/ns/nope", target, sizeof target), ENOENT);

	/* The directory: dr-x--x--x, the names in Linux's order. */
	CHECK(stat("/proc/self/ns", &st) == 0);
	printf("ns dir mode = %o\n", st.st_mode);
	DIR *d = opendir("/proc/self/ns");
	CHECK(d != NULL);
	const char *listed[32];
	unsigned nlisted = 0;
	struct dirent *e;
	printf("ns dir order:");
	while (d && (e = readdir(d)) != NULL) {
		printf(" %s", e->d_name);
		if (e->d_name[0] != '.' && nlisted < 32) {
			listed[nlisted++] = strdup(e->d_name);
			if (e->d_type != DT_LNK)
				FAIL("%s: d_type %d", e->d_name, e->d_type);
		}
	}
	printf("\n");
	if (d)
		closedir(d);
	qsort(listed, nlisted, sizeof listed[0], cmp);
	printf("ns dir sorted:");
	for (unsigned i = 0; i < nlisted; i++)
		printf(" %s", listed[i]);
	printf("\n");

	/* A forked child is in the same namespaces, seen from itself and
	 * from its parent. */
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t child = fork();
	if (child == 0) {
		char buf[64];
		int same = 1;
		for (unsigned i = 0; i < NNAMES; i++)
			same &= link_of("self", names[i], buf, sizeof buf) > 0 && strcmp(buf, self[i]) == 0;
		printf("child: its own links equal the parent's = %d\n", same);
		CHECK(write(ready[1], "r", 1) == 1);
		CHECK(read(go[0], &c, 1) == 1);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	char pid[16];
	snprintf(pid, sizeof pid, "%d", child);
	int same = 1;
	for (unsigned i = 0; i < NNAMES; i++) {
		char buf[64];
		same &= link_of(pid, names[i], buf, sizeof buf) > 0 && strcmp(buf, self[i]) == 0;
	}
	printf("parent: /proc/CHILD/ns links equal its own = %d\n", same);
	char path[128];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", child);
	struct stat cst;
	CHECK(stat(path, &cst) == 0);
	CHECK(stat("/proc/self/ns/pid", &st) == 0);
	printf("stat of the child's pid namespace = its parent's: %d\n", cst.st_ino == st.st_ino && cst.st_dev == st.st_dev);
	CHECK(write(go[1], "g", 1) == 1);
	printf("child: %s\n", guest_wait(child));
	return done();
}
