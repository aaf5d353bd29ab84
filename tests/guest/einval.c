/* Invalid flags and arguments give EINVAL. */
#include "guest.h"
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

int main(void) {
	put_file("f", "x");
	int fd = open("f", O_RDWR);
	EXPECT_ERR("lseek(whence 99)", syscall(SYS_lseek, fd, 0, 99), EINVAL);
	EXPECT_ERR("mmap(neither PRIVATE nor SHARED)", mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	EXPECT_ERR("mmap(both PRIVATE and SHARED)",
	           mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0), EINVAL);
	EXPECT_ERR("mmap(length 0)", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	EXPECT_ERR("mmap(MAP_FIXED unaligned)",
	           mmap((void *)0x10000001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
	EXPECT_ERR("mmap(length -4096)", mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	EXPECT_ERR("mmap(file, unaligned offset)", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	EXPECT_ERR("open(O_CREAT|O_DIRECTORY)", syscall(SYS_openat, AT_FDCWD, "new", O_CREAT | O_DIRECTORY | O_RDWR, 0644), EINVAL);
	EXPECT_ERR("openat2-free check: open(O_TMPFILE|O_RDONLY)", open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
	EXPECT_ERR("faccessat(bad mode)", syscall(SYS_faccessat, AT_FDCWD, "f", 0x80), EINVAL);
	EXPECT_ERR("newfstatat(bad flags)", syscall(SYS_newfstatat, AT_FDCWD, "f", &(struct stat){0}, 0x8000000), EINVAL);
	EXPECT_ERR("unlinkat(bad flags)", unlinkat(AT_FDCWD, "f", 0x4), EINVAL);
	EXPECT_ERR("dup3(bad flags)", dup3(fd, 20, 0x1), EINVAL);
	EXPECT_ERR("pipe2(bad flags)", pipe2((int[2]){0}, O_APPEND), EINVAL);
	EXPECT_ERR("fcntl(F_SETFD, then bad cmd)", fcntl(fd, 0x7fff), EINVAL);
	EXPECT_ERR("readv(iovcnt -1)", syscall(SYS_readv, fd, &(struct iovec){0}, -1), EINVAL);
	EXPECT_ERR("readv(iovcnt 1025)", syscall(SYS_readv, fd, &(struct iovec){0}, 1025), EINVAL);
	EXPECT_ERR("madvise(unaligned)", madvise((void *)0x10001, 4096, MADV_NORMAL), EINVAL);
	EXPECT_ERR("mprotect(bad bits)", mprotect((void *)0x10000, 4096, 0x40), EINVAL);
	EXPECT_ERR("clock_nanosleep(bad flags)-free: nanosleep(nsec -1)",
	           nanosleep(&(struct timespec){0, -1}, NULL), EINVAL);
	EXPECT_ERR("getrandom(bad flags)", syscall(SYS_getrandom, (char[4]){0}, 4, 0x40), EINVAL);
	EXPECT_ERR("rt_sigprocmask(how 3)", syscall(SYS_rt_sigprocmask, 3, &(long){0}, NULL, 8), EINVAL);
	EXPECT_ERR("pread64(negative offset)", pread(fd, (char[4]){0}, 1, -5), EINVAL);
	EXPECT_ERR("pwrite64(negative offset)", pwrite(fd, "x", 1, -5), EINVAL);
	EXPECT_ERR("ftruncate(negative)", ftruncate(fd, -1), EINVAL);
	EXPECT_ERR("umask-free: mknodat(bad type)", mknod("dev", S_IFMT, 0), EINVAL);
	EXPECT_ERR("utimensat(bad nsec)",
	           utimensat(AT_FDCWD, "f", (struct timespec[2]){{0, 2000000000}, {0, 0}}, 0), EINVAL);
	close(fd);
	return done();
}
