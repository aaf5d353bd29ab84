/* getdents64 on a directory we create: sorted names and d_type. */
#include "guest.h"
#include <dirent.h>

struct ent {
	char name[256];
	unsigned char type;
};

static int cmp(const void *a, const void *b) {
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static const char *tname(unsigned char t) {
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_UNKNOWN: return "unknown";
	}
	return "other";
}

/* Lists dir with getdents64 using a buffer of bufsize bytes. */
static int list(const char *dir, size_t bufsize, struct ent *out, int max) {
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		FAIL("open %s: %s", dir, errname(errno));
		return 0;
	}
	char buf[4096];
	int n = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsize);
		if (r < 0) {
			FAIL("getdents64: %s", errname(errno));
			break;
		}
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < max) {
				snprintf(out[n].name, sizeof out[n].name, "%s", d->d_name);
				out[n].type = d->d_type;
				n++;
			}
			CHECK(d->d_reclen % 8 == 0);
			off += d->d_reclen;
		}
	}
	close(fd);
	qsort(out, n, sizeof out[0], cmp);
	return n;
}

int main(void) {
	CHECK(mkdir("d", 0755) == 0);
	CHECK(mkdir("d/sub", 0755) == 0);
	put_file("d/b.txt", "b");
	put_file("d/a.txt", "a");
	CHECK(symlink("a.txt", "d/link") == 0);
	char name[64];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "d/many-%02d-with-a-longish-name", i);
		put_file(name, "");
	}

	static struct ent ents[100];
	int n = list("d", sizeof(char[4096]), ents, 100);
	printf("entries = %d\n", n);
	for (int i = 0; i < n; i++)
		if (strncmp(ents[i].name, "many-", 5) != 0 || i < 8)
			printf("  %s %s\n", ents[i].name, tname(ents[i].type));

	/* A small buffer forces many calls; the listing must be the same. */
	static struct ent small[100];
	int m = list("d", 128, small, 100);
	printf("entries with 128-byte buffer = %d\n", m);
	CHECK(m == n);
	for (int i = 0; i < n && i < m; i++)
		CHECK(strcmp(ents[i].name, small[i].name) == 0);

	int fd = open("d", O_RDONLY | O_DIRECTORY);
	char tiny[8];
	EXPECT_ERR("getdents64(buffer too small)", syscall(SYS_getdents64, fd, tiny, sizeof tiny), EINVAL);
	close(fd);
	fd = open("d/a.txt", O_RDONLY);
	char buf[512];
	EXPECT_ERR("getdents64(regular file)", syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
	close(fd);
	EXPECT_ERR("getdents64(bad fd)", syscall(SYS_getdents64, 12345, buf, sizeof buf), EBADF);

	/* An empty directory lists only . and .. */
	CHECK(mkdir("empty", 0755) == 0);
	m = list("empty", 4096, small, 100);
	printf("empty dir entries = %d: %s %s\n", m, m > 0 ? small[0].name : "", m > 1 ? small[1].name : "");

	/* Entries removed after open are not listed on a fresh open. */
	CHECK(unlink("d/b.txt") == 0);
	m = list("d", 4096, small, 100);
	printf("after unlink entries = %d\n", m);
	return done();
}
