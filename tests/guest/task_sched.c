/* Scheduling queries: sched_yield, affinity, getcpu, policy/priority ranges,
 * nice, membarrier, personality. */
#include "guest.h"
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>

int main(void) {
	EXPECT_EQ("sched_yield", sched_yield(), 0);
	cpu_set_t set;
	CPU_ZERO(&set);
	EXPECT_EQ("sched_getaffinity", sched_getaffinity(0, sizeof set, &set), 0);
	int n = CPU_COUNT(&set);
	printf("cpus in mask > 0 = %d\n", n > 0);
	long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	printf("raw getaffinity returns a positive size multiple of 8 = %d\n", raw > 0 && raw % 8 == 0);
	EXPECT_ERR("sched_getaffinity(size 1)", syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
	EXPECT_ERR("sched_getaffinity(nonexistent)", sched_getaffinity(0x3ffffff0, sizeof set, &set), ESRCH);
	int first = -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			first = i;
			break;
		}
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	EXPECT_EQ("sched_setaffinity(one cpu)", sched_setaffinity(0, sizeof one, &one), 0);
	unsigned cpu = 99, node = 99;
	EXPECT_EQ("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL), 0);
	printf("getcpu is the pinned cpu = %d, node = %u\n", (int)cpu == first, node);
	printf("sched_getcpu agrees = %d\n", sched_getcpu() == first);
	cpu_set_t empty;
	CPU_ZERO(&empty);
	EXPECT_ERR("sched_setaffinity(empty)", sched_setaffinity(0, sizeof empty, &empty), EINVAL);
	CHECK(sched_setaffinity(0, sizeof set, &set) == 0);

	EXPECT_EQ("sched_getscheduler", sched_getscheduler(0), SCHED_OTHER);
	EXPECT_EQ("sched_get_priority_max(FIFO)", sched_get_priority_max(SCHED_FIFO), 99);
	EXPECT_EQ("sched_get_priority_min(FIFO)", sched_get_priority_min(SCHED_FIFO), 1);
	EXPECT_EQ("sched_get_priority_max(OTHER)", sched_get_priority_max(SCHED_OTHER), 0);
	EXPECT_ERR("sched_get_priority_max(99)", sched_get_priority_max(99), EINVAL);
	struct sched_param sp = {0};
	EXPECT_EQ("sched_getparam", sched_getparam(0, &sp), 0);
	printf("priority = %d\n", sp.sched_priority);
	struct timespec ts;
	EXPECT_EQ("sched_rr_get_interval", sched_rr_get_interval(0, &ts), 0);

	errno = 0;
	int nice0 = getpriority(PRIO_PROCESS, 0);
	printf("initial nice = %d\n", nice0);
	EXPECT_EQ("setpriority(+5)", setpriority(PRIO_PROCESS, 0, nice0 + 5), 0);
	EXPECT_EQ("getpriority", getpriority(PRIO_PROCESS, 0), nice0 + 5);
	EXPECT_EQ("nice(1) returns new nice", nice(1), nice0 + 6);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(getpriority(PRIO_PROCESS, 0));
	printf("child inherits nice: %s\n", guest_wait(c));

	long mb = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	printf("membarrier(QUERY) nonnegative = %d\n", mb >= 0);
	printf("QUERY reports GLOBAL = %d\n", mb >= 0 && (mb & MEMBARRIER_CMD_GLOBAL) != 0);
	EXPECT_ERR("membarrier(PRIVATE_EXPEDITED) unregistered",
	           syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
	EXPECT_EQ("membarrier(REGISTER_PRIVATE_EXPEDITED)",
	          syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_EQ("membarrier(PRIVATE_EXPEDITED)", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_ERR("membarrier(bad cmd)", syscall(SYS_membarrier, 1 << 30, 0, 0), EINVAL);

	EXPECT_EQ("personality(0xffffffff) query", personality(0xffffffff), PER_LINUX);
	EXPECT_EQ("personality(ADDR_NO_RANDOMIZE) returns old", personality(PER_LINUX | ADDR_NO_RANDOMIZE), PER_LINUX);
	EXPECT_EQ("personality query", personality(0xffffffff), ADDR_NO_RANDOMIZE);
	personality(PER_LINUX);
	return done();
}
