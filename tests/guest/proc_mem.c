/* /proc/PID/mem: reads and writes of a process's memory at file offset =
 * address, as debuggers use it: forced access to read-only and PROT_NONE
 * private mappings, none to read-only shared ones or [vvar], EIO at an
 * unmapped address and short counts into one, the 64-bit offsets of
 * lseek, another process's memory (a forked child's), the file bound to
 * the address space it was opened on (exit, exec), and who may open it. */
#include "guest.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define PAGE 4096

static char message[] = "hello from the data segment";
static volatile long value = 1;

/* Address as a file offset. */
static off_t at(const volatile void *p) {
	return (off_t)(uintptr_t)p;
}

/* The address of the first mapping named `name` in /proc/self/maps, 0 if none. */
static unsigned long mapping(const char *name) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, name)) {
			sscanf(line, "%lx-", &lo);
			break;
		}
	if (f)
		fclose(f);
	return lo;
}

/* Runs in a re-executed child: tells the parent it has exec'd, waits. */
static int after_exec(char **argv) {
	int ready = atoi(argv[2]), go = atoi(argv[3]);
	char c;
	if (write(ready, "e", 1) != 1 || read(go, &c, 1) != 1)
		return 3;
	return 0;
}

/* Waits for one byte on `fd`. */
static void wait_for(int fd) {
	char c;
	CHECK(read(fd, &c, 1) == 1);
}

static void signal_to(int fd) {
	CHECK(write(fd, "x", 1) == 1);
}

static void own_memory(void) {
	int fd = open("/proc/self/mem", O_RDWR);
	CHECK(fd >= 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("mem: mode %o, size %ld\n", st.st_mode, (long)st.st_size);

	char buf[2 * PAGE];
	memset(buf, 0, sizeof buf);
	EXPECT_EQ("pread(global string)", pread(fd, buf, sizeof message, at(message)), (long)sizeof message);
	printf("read back: %s\n", buf);
	EXPECT_EQ("pread(0 bytes)", pread(fd, buf, 0, at(message)), 0);

	/* Forced writes: a read-only private mapping is written, and stays
	 * read-only. */
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	EXPECT_EQ("pwrite(PROT_READ private)", pwrite(fd, "patched", 7, at(ro + 100)), 7);
	printf("mapping shows: %.7s\n", ro + 100);
	char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED);
	EXPECT_EQ("pwrite(PROT_NONE private)", pwrite(fd, "hidden", 6, at(none)), 6);
	memset(buf, 0, 16);
	EXPECT_EQ("pread(PROT_NONE private)", pread(fd, buf, 6, at(none)), 6);
	printf("read back: %s\n", buf);
	CHECK(mprotect(none, PAGE, PROT_READ) == 0);
	printf("made readable, it shows: %.6s\n", none);
	/* A shared mapping is written only if writable. */
	char *sro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sro != MAP_FAILED);
	EXPECT_ERR("pwrite(PROT_READ shared)", pwrite(fd, "x", 1, at(sro)), EIO);
	char *srw = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(srw != MAP_FAILED);
	EXPECT_EQ("pwrite(PROT_READ|PROT_WRITE shared)", pwrite(fd, "shared", 6, at(srw)), 6);
	printf("mapping shows: %.6s\n", srw);
	unsigned long vvar = mapping("[vvar]");
	CHECK(vvar != 0);
	EXPECT_ERR("pread([vvar])", pread(fd, buf, 8, (off_t)vvar), EIO);

	/* Unmapped memory: EIO where it starts, a short count into it. */
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED);
	CHECK(munmap(two + PAGE, PAGE) == 0);
	memset(two, 'a', PAGE);
	EXPECT_ERR("pread(unmapped)", pread(fd, buf, 16, at(two + PAGE)), EIO);
	EXPECT_ERR("pwrite(unmapped)", pwrite(fd, "x", 1, at(two + PAGE)), EIO);
	EXPECT_EQ("pread(unmapped, 0 bytes)", pread(fd, buf, 0, at(two + PAGE)), 0);
	EXPECT_EQ("pread(10 mapped bytes, then unmapped)", pread(fd, buf, 100, at(two + PAGE - 10)), 10);
	EXPECT_EQ("pwrite(10 mapped bytes, then unmapped)", pwrite(fd, "0123456789abcdef", 16, at(two + PAGE - 10)), 10);
	printf("last bytes of the page: %.10s\n", two + PAGE - 10);
	EXPECT_EQ("pread(two pages, second unmapped)", pread(fd, buf, 2 * PAGE, at(two)), PAGE);
	EXPECT_ERR("pread(address 0)", pread(fd, buf, 8, 0), EIO);

	/* The file position is an address: read() moves it, lseek sets it
	 * to any 64-bit value (pread refuses offsets past INT64_MAX). */
	EXPECT_EQ("lseek(SEEK_SET, string)", lseek(fd, at(message), SEEK_SET) == at(message), 1);
	memset(buf, 0, 16);
	EXPECT_EQ("read(5)", read(fd, buf, 5), 5);
	printf("read: %s\n", buf);
	EXPECT_EQ("lseek(SEEK_CUR, +1) is 6 past the string", lseek(fd, 1, SEEK_CUR) == at(message) + 6, 1);
	memset(buf, 0, 16);
	EXPECT_EQ("read(4)", read(fd, buf, 4), 4);
	printf("read: %s\n", buf);
	EXPECT_ERR("lseek(SEEK_END)", lseek(fd, 0, SEEK_END), EINVAL);
	EXPECT_ERR("lseek(SEEK_DATA)", lseek(fd, 0, SEEK_DATA), EINVAL);
	off_t high = (off_t)0x8000000000000000ull;
	EXPECT_EQ("lseek(SEEK_SET, 1 << 63) returns it", lseek(fd, high, SEEK_SET) == high, 1);
	EXPECT_ERR("read at 1 << 63", read(fd, buf, 8), EIO);
	EXPECT_ERR("pread at 1 << 63", pread(fd, buf, 8, high), EINVAL);
	close(fd);
}

/* A forked child's memory, read and written by its parent. */
static void child_memory(void) {
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t child = fork();
	if (child == 0) {
		value = 42;
		signal_to(ready[1]);
		wait_for(go[0]);
		printf("child: value after the parent's write = %ld\n", value);
		_exit(0);
	}
	wait_for(ready[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", child);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	long v = 0;
	EXPECT_EQ("pread(child's value)", pread(fd, &v, sizeof v, at(&value)), (long)sizeof v);
	printf("child's value = %ld, parent's = %ld\n", v, value);
	v = 99;
	EXPECT_EQ("pwrite(child's value)", pwrite(fd, &v, sizeof v, at(&value)), (long)sizeof v);
	printf("parent's value after writing the child's = %ld\n", value);
	signal_to(go[1]);
	printf("child: %s\n", guest_wait(child));
	/* Opened while the child lived: it exited, and its memory went with it. */
	EXPECT_EQ("pread(reaped child)", pread(fd, &v, sizeof v, at(&value)), 0);
	EXPECT_EQ("pwrite(reaped child)", pwrite(fd, &v, sizeof v, at(&value)), 0);
	close(fd);
	EXPECT_ERR("open(reaped child's mem)", open(path, O_RDONLY), ENOENT);
}

/* A zombie has no memory: open fails, an old file reads nothing. */
static void zombie_memory(void) {
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t child = fork();
	if (child == 0) {
		signal_to(ready[1]);
		wait_for(go[0]);
		_exit(0);
	}
	wait_for(ready[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", child);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	signal_to(go[1]);
	siginfo_t si;
	CHECK(waitid(P_PID, child, &si, WEXITED | WNOWAIT) == 0);
	long v;
	EXPECT_EQ("pread(zombie)", pread(fd, &v, sizeof v, at(&value)), 0);
	EXPECT_ERR("open(zombie's mem)", open(path, O_RDONLY), ESRCH);
	close(fd);
	printf("zombie: %s\n", guest_wait(child));
}

/* The file stays bound to the address space it was opened on. */
static void exec_memory(void) {
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	int opened[2];
	CHECK(pipe(opened) == 0);
	pid_t child = fork();
	if (child == 0) {
		wait_for(opened[0]);
		char r[16], g[16];
		snprintf(r, sizeof r, "%d", ready[1]);
		snprintf(g, sizeof g, "%d", go[0]);
		char *args[] = {"proc_mem", "--after-exec", r, g, NULL};
		execv("/proc/self/exe", args);
		_exit(2);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", child);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	long v = 0;
	EXPECT_EQ("pread(child before exec)", pread(fd, &v, sizeof v, at(&value)), (long)sizeof v);
	signal_to(opened[1]);
	wait_for(ready[0]);
	EXPECT_EQ("pread(child after exec, file opened before)", pread(fd, &v, sizeof v, at(&value)), 0);
	close(fd);
	signal_to(go[1]);
	printf("exec'd child: %s\n", guest_wait(child));
}

/* Opening another process's mem needs ptrace access: the same ids as all
 * of its real, effective and saved ones, or CAP_SYS_PTRACE. */
static void permission(void) {
	int ready[2], go[2], done_[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(done_) == 0);
	pid_t target = fork();
	if (target == 0) {
		/* Saved uid 0 keeps a user 1000 out; dumpable again after the
		 * change of ids, so its /proc files belong to user 1000. */
		CHECK(setresgid(1000, 1000, 1000) == 0);
		CHECK(setresuid(1000, 1000, 0) == 0);
		CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
		signal_to(ready[1]);
		wait_for(go[0]);
		_exit(0);
	}
	wait_for(ready[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", target);
	pid_t prober = fork();
	if (prober == 0) {
		CHECK(setresgid(1000, 1000, 1000) == 0);
		CHECK(setresuid(1000, 1000, 1000) == 0);
		EXPECT_ERR("user 1000 opens mem of uids 1000/1000/0", open(path, O_RDONLY), EACCES);
		EXPECT_ERR("user 1000 opens init's mem", open("/proc/1/mem", O_RDONLY), EACCES);
		int fd = open("/proc/self/mem", O_RDONLY);
		/* Its own memory (the ids changed, which makes a process
		 * undumpable on Linux: its files then belong to root). */
		printf("user 1000 opens its own mem: %s\n", fd >= 0 ? "ok" : errname(errno));
		_exit(guest_failures ? 1 : 0);
	}
	printf("prober: %s\n", guest_wait(prober));
	int fd = open(path, O_RDONLY);
	printf("root opens it: %s\n", fd >= 0 ? "ok" : errname(errno));
	if (fd >= 0)
		close(fd);
	signal_to(go[1]);
	printf("target: %s\n", guest_wait(target));
	(void)done_;
}

int main(int argc, char **argv) {
	if (argc > 3 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(argv);
	own_memory();
	child_memory();
	zombie_memory();
	exec_memory();
	permission();
	return done();
}
