/* capget/capset: version negotiation, dropping a capability from the
 * effective set and raising it back from the permitted set, dropping it from
 * permitted for good; capabilities cleared by setuid. */
#include "guest.h"
#include <linux/capability.h>
#include <sys/prctl.h>

static int capget_(cap_user_header_t h, cap_user_data_t d) {
	return syscall(SYS_capget, h, d);
}
static int capset_(cap_user_header_t h, cap_user_data_t d) {
	return syscall(SYS_capset, h, d);
}

static int has(struct __user_cap_data_struct *d, int cap, int which) {
	unsigned v = which == 0 ? d[cap / 32].effective : which == 1 ? d[cap / 32].permitted : d[cap / 32].inheritable;
	return !!(v & (1u << (cap % 32)));
}

static void show(const char *label) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	CHECK(capget_(&h, d) == 0);
	printf("%s: eff CHOWN=%d SETUID=%d KILL=%d; perm CHOWN=%d SETUID=%d\n", label, has(d, CAP_CHOWN, 0),
	       has(d, CAP_SETUID, 0), has(d, CAP_KILL, 0), has(d, CAP_CHOWN, 1), has(d, CAP_SETUID, 1));
}

int main(void) {
	struct __user_cap_header_struct h = {0, 0};
	struct __user_cap_data_struct d[2];
	EXPECT_ERR("capget(version 0)", capget_(&h, d), EINVAL);
	printf("kernel suggests version 3 = %d\n", h.version == _LINUX_CAPABILITY_VERSION_3);
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 0;
	EXPECT_EQ("capget(NULL data) probes", capget_(&h, NULL), 0);
	EXPECT_EQ("capget(v3)", capget_(&h, d), 0);
	show("root");
	h.pid = 0x3ffffff0;
	EXPECT_ERR("capget(nonexistent pid)", capget_(&h, d), ESRCH);
	h.pid = 0;
	EXPECT_EQ("PR_CAPBSET_READ(CAP_CHOWN)", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);
	EXPECT_ERR("PR_CAPBSET_READ(9999)", prctl(PR_CAPBSET_READ, 9999, 0, 0, 0), EINVAL);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		put_file("f", "x");
		struct __user_cap_header_struct hh = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct dd[2];
		capget_(&hh, dd);
		dd[0].effective &= ~(1u << CAP_CHOWN);
		dd[0].effective &= ~(1u << CAP_FOWNER);
		EXPECT_EQ("capset(drop CHOWN from effective)", capset_(&hh, dd), 0);
		show("dropped eff");
		EXPECT_ERR("chown(f, 1, 1) without CAP_CHOWN", chown("f", 1, 1), EPERM);
		dd[0].effective |= 1u << CAP_CHOWN;
		EXPECT_EQ("capset(raise CHOWN back from permitted)", capset_(&hh, dd), 0);
		EXPECT_EQ("chown(f, 1, 1)", chown("f", 1, 1), 0);
		dd[0].effective &= ~(1u << CAP_CHOWN);
		dd[0].permitted &= ~(1u << CAP_CHOWN);
		EXPECT_EQ("capset(drop CHOWN from permitted)", capset_(&hh, dd), 0);
		show("dropped perm");
		dd[0].effective |= 1u << CAP_CHOWN;
		EXPECT_ERR("capset(raise CHOWN not in permitted)", capset_(&hh, dd), EPERM);
		dd[0].effective &= ~(1u << CAP_CHOWN);
		dd[0].permitted |= 1u << CAP_CHOWN;
		EXPECT_ERR("capset(add CHOWN back to permitted)", capset_(&hh, dd), EPERM);
		hh.pid = getppid();
		EXPECT_ERR("capset(other pid)", capset_(&hh, dd), EPERM);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		setgid(65534);
		setuid(65534);
		show("after setuid(65534)");
		fflush(stdout);
		_exit(0);
	}
	printf("child: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		/* PR_SET_KEEPCAPS keeps permitted across setuid; effective is cleared. */
		EXPECT_EQ("PR_SET_KEEPCAPS(1)", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
		EXPECT_EQ("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
		setresuid(65534, 65534, 65534);
		show("keepcaps setuid");
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));
	return done();
}
