/* Over-long paths and components give ENAMETOOLONG. */
#include "guest.h"

int main(void) {
	static char path[PATH_MAX + 64];
	/* PATH_MAX+1 bytes without NUL: "a/a/a/..." */
	for (int i = 0; i < PATH_MAX + 1; i++)
		path[i] = (i % 2) ? '/' : 'a';
	path[PATH_MAX + 1] = 0;
	EXPECT_ERR("open(PATH_MAX+1 path)", open(path, O_RDONLY), ENAMETOOLONG);
	EXPECT_ERR("stat(PATH_MAX+1 path)", stat(path, &(struct stat){0}), ENAMETOOLONG);
	EXPECT_ERR("mkdir(PATH_MAX+1 path)", mkdir(path, 0755), ENAMETOOLONG);
	EXPECT_ERR("chdir(PATH_MAX+1 path)", chdir(path), ENAMETOOLONG);
	path[PATH_MAX] = 0; /* exactly PATH_MAX bytes: still too long (NUL does not fit) */
	EXPECT_ERR("open(PATH_MAX bytes)", open(path, O_RDONLY), ENAMETOOLONG);
	path[PATH_MAX - 1] = 0; /* PATH_MAX-1 bytes: fits; fails on lookup */
	path[PATH_MAX - 2] = 'a';
	EXPECT_ERR("open(PATH_MAX-1 bytes, missing)", open(path, O_RDONLY), ENOENT);

	char comp[300];
	memset(comp, 'x', 256);
	comp[256] = 0;
	EXPECT_ERR("open(256-byte component)", open(comp, O_RDONLY), ENAMETOOLONG);
	EXPECT_ERR("open(O_CREAT 256-byte component)", open(comp, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	EXPECT_ERR("mkdir(256-byte component)", mkdir(comp, 0755), ENAMETOOLONG);
	EXPECT_ERR("symlink(to 256-byte name)", symlink("x", comp), ENAMETOOLONG);
	comp[255] = 0;
	int fd = open(comp, O_CREAT | O_WRONLY, 0644);
	EXPECT_OK("open(O_CREAT 255-byte component)", fd);
	close(fd);
	EXPECT_EQ("unlink(255-byte component)", unlink(comp), 0);
	char nested[600];
	memset(comp, 'y', 256);
	comp[256] = 0;
	snprintf(nested, sizeof nested, "sub/%s/file", comp);
	CHECK(mkdir("sub", 0755) == 0);
	EXPECT_ERR("open(sub/<256>/file)", open(nested, O_RDONLY), ENAMETOOLONG);
	EXPECT_ERR("rename(to 256-byte name)", rename("sub", comp), ENAMETOOLONG);
	/* A symlink target longer than PATH_MAX is refused. */
	static char target[PATH_MAX + 8];
	memset(target, 't', PATH_MAX + 1);
	EXPECT_ERR("symlink(target PATH_MAX+1)", symlink(target, "l"), ENAMETOOLONG);
	return done();
}
