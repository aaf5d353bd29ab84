/* /proc/self/smaps and smaps_rollup: the block of fields for mappings of
 * known kinds (private read-write with some pages written, read-only,
 * shared), their VmFlags, the sharing a fork adds, and the rollup's header
 * and sums. Mappings are placed with PROT_NONE gaps between them so that
 * Linux cannot merge them with their neighbours. */
#include "guest.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096

static char smaps[1 << 20];
static char rollup[1 << 14];

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

/* Whether `line` is a mapping's header ("start-end perms ..."): field
 * lines start with a capital letter. */
static int is_header(const char *line) {
	return (*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f');
}

/* The block of the mapping that starts at `addr`: its header line, and
 * the lines after it up to the next header. NULL if there is none. */
static const char *block_of(unsigned long addr, const char **end) {
	for (const char *line = smaps; *line;) {
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		unsigned long lo;
		if (is_header(line) && sscanf(line, "%lx-", &lo) == 1 && lo == addr) {
			const char *e = nl + 1;
			while (*e && !is_header(e)) {
				const char *n2 = strchr(e, '\n');
				e = n2 ? n2 + 1 : e + strlen(e);
			}
			*end = e;
			return line;
		}
		line = nl + 1;
	}
	return NULL;
}

/* Prints the header of `label`'s block without the address range and
 * the inode number, which differ between runs. */
static void print_header(const char *label, const char *block) {
	char line[512], perms[8], off[16], dev[16], ino[32], name[128] = "";
	const char *eol = strchr(block, '\n');
	snprintf(line, sizeof line, "%.*s", eol ? (int)(eol - block) : 0, block);
	int n = sscanf(line, "%*s %7s %15s %15s %31s %127[^\n]", perms, off, dev, ino, name);
	printf("%s header: %s %s %s%s%s (fields %d)\n", label, perms, off, dev, name[0] ? " " : "", name, n);
	/* A nameless mapping's line ends in a space, as Linux prints it. */
	const char *nl = strchr(block, '\n');
	printf("%s header ends in a space = %d\n", label, nl && nl > block && nl[-1] == ' ');
}

/* Prints each line of `label`'s block after the header; the names only
 * with `names_only`. ProtectionKey is left out: Linux prints it only on
 * CPUs with protection keys, which the sandbox does not offer. */
static void print_block(const char *label, unsigned long addr, int names_only) {
	const char *end, *b = block_of(addr, &end);
	if (!b) {
		printf("%s: no block\n", label);
		guest_failures++;
		return;
	}
	const char *line = strchr(b, '\n') + 1;
	if (names_only)
		printf("%s fields:", label);
	while (line < end) {
		const char *nl = strchr(line, '\n');
		int len = (int)(nl - line);
		if (strncmp(line, "ProtectionKey:", 14) != 0) {
			if (names_only)
				printf(" %.*s", (int)(strchr(line, ':') - line), line);
			else
				printf("%s| %.*s|\n", label, len, line);
		}
		line = nl + 1;
	}
	if (names_only)
		printf("\n");
}

/* The value of field `name` (in kB) in `label`'s block; -1 if absent. */
static long field(unsigned long addr, const char *name) {
	const char *end, *b = block_of(addr, &end);
	if (!b)
		return -1;
	size_t n = strlen(name);
	for (const char *line = b; line < end; line = strchr(line, '\n') + 1)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			return atol(line + n + 1);
	return -1;
}

/* The sum of field `name` over every block of smaps. */
static long sum_field(const char *name) {
	long total = 0;
	size_t n = strlen(name);
	for (const char *line = smaps; *line;) {
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			total += atol(line + n + 1);
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return total;
}

int main(void) {
	/* Touch the buffers now, so that reading into them later does not
	 * change how much of this process is resident. */
	memset(smaps, 1, sizeof smaps);
	memset(rollup, 1, sizeof rollup);

	char *base = mmap(NULL, 64 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(base != MAP_FAILED);
	char *rw = mmap(base + 4 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char *ro = mmap(base + 10 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char *sh = mmap(base + 16 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char *relro_clean = mmap(base + 22 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char *relro_dirty = mmap(base + 26 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(rw != MAP_FAILED && ro != MAP_FAILED && sh != MAP_FAILED && relro_clean != MAP_FAILED && relro_dirty != MAP_FAILED);
	rw[0] = 1;
	rw[2 * PAGE] = 1;
	sh[0] = 1;
	relro_dirty[0] = 1;
	/* Made read-only again: Linux keeps the mapping accountable ("ac")
	 * once a page was written, and forgets it for one never touched. */
	CHECK(mprotect(relro_clean, PAGE, PROT_READ) == 0);
	CHECK(mprotect(relro_dirty, PAGE, PROT_READ) == 0);

	CHECK(slurp("/proc/self/smaps", smaps, sizeof smaps) > 0);
	print_header("rw", block_of((unsigned long)rw, &(const char *){0}));
	print_block("rw", (unsigned long)rw, 1);
	print_block("rw", (unsigned long)rw, 0);
	print_header("ro", block_of((unsigned long)ro, &(const char *){0}));
	print_block("ro", (unsigned long)ro, 0);
	const char *shb = block_of((unsigned long)sh, &(const char *){0});
	CHECK(shb != NULL);
	if (shb)
		print_header("shared", shb);
	print_block("shared", (unsigned long)sh, 0);
	print_block("gap", (unsigned long)base, 0);
	const char *e;
	const char *b = block_of((unsigned long)relro_clean, &e);
	const char *vf = b ? strstr(b, "VmFlags:") : NULL;
	printf("written never, read-only again: %.*s|\n", vf ? (int)(strchr(vf, '\n') - vf) : 0, vf ? vf : "");
	b = block_of((unsigned long)relro_dirty, &e);
	vf = b ? strstr(b, "VmFlags:") : NULL;
	printf("written, read-only again: %.*s|\n", vf ? (int)(strchr(vf, '\n') - vf) : 0, vf ? vf : "");

	/* The rollup, read right after smaps: nothing ran in between that
	 * could change what is resident. */
	CHECK(slurp("/proc/self/smaps", smaps, sizeof smaps) > 0);
	CHECK(slurp("/proc/self/smaps_rollup", rollup, sizeof rollup) > 0);
	unsigned long lo = 0, hi = 0;
	char perms[8] = "";
	int n = sscanf(rollup, "%lx-%lx %7s", &lo, &hi, perms);
	const char *nl = strchr(rollup, '\n');
	const char *tag = strstr(rollup, "[rollup]");
	printf("rollup header parses = %d, perms = %s, lo < hi = %d\n", n == 3, perms, lo < hi);
	const char *sp = strchr(rollup, ' ');
	const char *mid = tag;
	while (sp && mid && mid > sp && mid[-1] == ' ')
		mid--;
	printf("rollup header middle = %.*s\n", sp && mid ? (int)(mid - sp - 1) : 0, sp ? sp + 1 : "");
	printf("rollup tag after 73 columns = %d, ends the line = %d\n", tag && tag - rollup == 73, tag && tag + 8 == nl);
	/* It spans the first mapping's start to the last one's end (the
	 * [vsyscall] page, which Linux lists last, is not a mapping). */
	unsigned long first = 0, last = 0;
	for (const char *line = smaps; *line;) {
		unsigned long a, z;
		if (is_header(line) && sscanf(line, "%lx-%lx", &a, &z) == 2) {
			const char *end_of_line = strchr(line, '\n');
			if (!first)
				first = a;
			if (!end_of_line || !memmem(line, end_of_line - line, "[vsyscall]", 10))
				last = z;
		}
		const char *n2 = strchr(line, '\n');
		if (!n2)
			break;
		line = n2 + 1;
	}
	printf("rollup spans the first to the last mapping = %d, %d\n", first == lo, last == hi);
	printf("rollup fields:");
	for (const char *line = nl + 1; *line; line = strchr(line, '\n') + 1)
		printf(" %.*s", (int)(strchr(line, ':') - line), line);
	printf("\n");
	const char *rss = strstr(rollup, "\nRss:");
	printf("rollup Rss equals the sum over smaps = %d\n", rss && atol(rss + 5) == sum_field("Rss"));
	const char *anon = strstr(rollup, "\nAnonymous:");
	printf("rollup Anonymous equals the sum over smaps = %d\n", anon && atol(anon + 11) == sum_field("Anonymous"));

	/* After fork the child maps the same pages: they count as shared, and
	 * each process's proportional share is half. */
	int go[2], ready[2];
	CHECK(pipe(go) == 0 && pipe(ready) == 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(go[1]);
		/* Linux's fork copies the page-table entries of private pages
		 * only: a shared page counts as shared once the child touches it. */
		*(volatile char *)sh;
		CHECK(write(ready[1], "r", 1) == 1);
		CHECK(read(go[0], &c, 1) == 1);
		_exit(0);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	CHECK(slurp("/proc/self/smaps", smaps, sizeof smaps) > 0);
	const char *names[] = {"Rss", "Pss", "Pss_Dirty", "Shared_Dirty", "Private_Dirty", "Anonymous"};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		printf("after fork: rw %s = %ld kB, shared %s = %ld kB\n", names[i], field((unsigned long)rw, names[i]),
		       names[i], field((unsigned long)sh, names[i]));
	CHECK(write(go[1], "g", 1) == 1);
	printf("child: %s\n", guest_wait(child));
	return done();
}
