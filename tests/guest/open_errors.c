/* open/openat error cases: EEXIST, ENOTDIR, ELOOP, EISDIR, ENOENT... */
#include "guest.h"

int main(void) {
	put_file("file", "x");
	CHECK(mkdir("dir", 0755) == 0);
	CHECK(symlink("file", "link") == 0);
	CHECK(symlink("dir", "dirlink") == 0);
	CHECK(symlink("loop1", "loop2") == 0);
	CHECK(symlink("loop2", "loop1") == 0);
	CHECK(symlink("self", "self") == 0);
	CHECK(symlink("nowhere/x", "dangling") == 0);

	EXPECT_ERR("open(O_CREAT|O_EXCL existing)", open("file", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_ERR("open(O_CREAT|O_EXCL symlink)", open("link", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_ERR("open(O_CREAT|O_EXCL dangling)", open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	int fd = open("new", O_CREAT | O_EXCL | O_WRONLY, 0644);
	EXPECT_OK("open(O_CREAT|O_EXCL new)", fd);
	close(fd);
	EXPECT_ERR("open(O_DIRECTORY file)", open("file", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERR("open(O_DIRECTORY link to file)", open("link", O_RDONLY | O_DIRECTORY), ENOTDIR);
	fd = open("dirlink", O_RDONLY | O_DIRECTORY);
	EXPECT_OK("open(O_DIRECTORY link to dir)", fd);
	close(fd);
	EXPECT_ERR("open(O_NOFOLLOW symlink)", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	fd = open("dirlink/", O_RDONLY | O_NOFOLLOW);
	EXPECT_OK("open(O_NOFOLLOW dirlink/)", fd);
	close(fd);
	fd = open("link", O_PATH | O_NOFOLLOW);
	EXPECT_OK("open(O_PATH|O_NOFOLLOW symlink)", fd);
	close(fd);
	EXPECT_ERR("open(loop1)", open("loop1", O_RDONLY), ELOOP);
	EXPECT_ERR("open(self)", open("self", O_RDONLY), ELOOP);
	EXPECT_ERR("open(self/x)", open("self/x", O_RDONLY), ELOOP);
	EXPECT_ERR("open(file/)", open("file/", O_RDONLY), ENOTDIR);
	EXPECT_ERR("open(link/)", open("link/", O_RDONLY), ENOTDIR);
	EXPECT_ERR("open(file/x)", open("file/x", O_RDONLY), ENOTDIR);
	EXPECT_ERR("open(O_CREAT file/)", open("file/", O_CREAT | O_WRONLY, 0644), EISDIR);
	EXPECT_ERR("open(missing)", open("missing", O_RDONLY), ENOENT);
	EXPECT_ERR("open(missing/x, O_CREAT)", open("missing/x", O_CREAT | O_WRONLY, 0644), ENOENT);
	EXPECT_ERR("open(dangling)", open("dangling", O_RDONLY), ENOENT);
	EXPECT_ERR("open(\"\")", open("", O_RDONLY), ENOENT);
	EXPECT_ERR("open(dir, O_WRONLY)", open("dir", O_WRONLY), EISDIR);
	EXPECT_ERR("open(dir, O_RDWR)", open("dir", O_RDWR), EISDIR);
	EXPECT_ERR("open(dir, O_CREAT)", open("dir", O_CREAT | O_RDONLY, 0644), EISDIR);
	fd = open("dir", O_RDONLY);
	EXPECT_OK("open(dir, O_RDONLY)", fd);
	EXPECT_ERR("read(dir fd)", read(fd, (char[8]){0}, 8), EISDIR);
	EXPECT_ERR("openat(dir fd, missing)", openat(fd, "missing", O_RDONLY), ENOENT);
	int f2 = openat(fd, "../file", O_RDONLY);
	EXPECT_OK("openat(dir fd, ../file)", f2);
	close(f2);
	close(fd);
	fd = open("file", O_RDONLY);
	EXPECT_ERR("openat(file fd, x)", openat(fd, "x", O_RDONLY), ENOTDIR);
	f2 = openat(fd, "/dev/null", O_RDONLY);
	EXPECT_OK("openat(file fd, absolute path)", f2);
	close(f2);
	close(fd);
	EXPECT_ERR("openat(bad dirfd, relative)", openat(12345, "file", O_RDONLY), EBADF);
	f2 = openat(12345, "/dev/null", O_RDONLY);
	EXPECT_OK("openat(bad dirfd, absolute)", f2);
	close(f2);
	/* O_CREAT through a dangling symlink creates its target. */
	CHECK(symlink("created-target", "to-create") == 0);
	fd = open("to-create", O_CREAT | O_WRONLY, 0644);
	EXPECT_OK("open(O_CREAT via dangling symlink)", fd);
	close(fd);
	struct stat st;
	EXPECT_EQ("stat(created-target)", stat("created-target", &st), 0);
	EXPECT_ERR("open(O_TMPFILE without dir)", open("file", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	return done();
}
