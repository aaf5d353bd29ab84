/* Dropping root: setgroups/setresgid/setresuid to 65534, then every way back
 * fails with EPERM; saved set-user-ID lets a process swap back and forth. */
#include "guest.h"
#include <grp.h>
#include <sys/fsuid.h>

static void ids(const char *label) {
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("%s: uid %u/%u/%u gid %u/%u/%u\n", label, r, e, s, gr, ge, gs);
}

int main(void) {
	ids("start");
	put_file("secret", "x");
	chmod("secret", 0600);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		gid_t g[2] = {100, 200};
		EXPECT_EQ("setgroups({100,200})", setgroups(2, g), 0);
		gid_t got[8];
		EXPECT_EQ("getgroups", getgroups(8, got), 2);
		printf("groups: %u %u\n", got[0], got[1]);
		EXPECT_ERR("getgroups(size too small)", getgroups(1, got), EINVAL);
		EXPECT_EQ("setresgid(65534,65534,65534)", setresgid(65534, 65534, 65534), 0);
		/* Keep the saved uid 0: effective can go back. */
		EXPECT_EQ("setresuid(65534,65534,0)", setresuid(65534, 65534, 0), 0);
		ids("saved root");
		EXPECT_EQ("seteuid(0) via saved uid", seteuid(0), 0);
		ids("euid back");
		EXPECT_EQ("seteuid(65534)", seteuid(65534), 0);
		EXPECT_ERR("setuid(1000) (not r/e/s)", setuid(1000), EPERM);
		EXPECT_EQ("setreuid(-1, 0)", setreuid(-1, 0), 0);
		ids("setreuid");
		/* Root in effective: setuid sets all three. */
		EXPECT_EQ("setuid(65534) as euid 0", setuid(65534), 0);
		ids("fully dropped");
		EXPECT_ERR("setuid(0)", setuid(0), EPERM);
		EXPECT_ERR("seteuid(0)", seteuid(0), EPERM);
		EXPECT_ERR("setresuid(0,0,0)", setresuid(0, 0, 0), EPERM);
		EXPECT_ERR("setreuid(0,-1)", setreuid(0, -1), EPERM);
		EXPECT_ERR("setgid(0)", setgid(0), EPERM);
		EXPECT_ERR("setresgid(-1,0,-1)", setresgid(-1, 0, -1), EPERM);
		EXPECT_ERR("setgroups(0)", setgroups(0, NULL), EPERM);
		EXPECT_EQ("setuid(65534) to own uid", setuid(65534), 0);
		EXPECT_EQ("setresuid(-1,-1,-1)", setresuid(-1, -1, -1), 0);
		printf("setfsuid(0) returns old fsuid %d\n", setfsuid(0));
		printf("fsuid still 65534 = %d\n", setfsuid(-1) == 65534);
		EXPECT_ERR("open(root-only 0600 file) as nobody", open("secret", O_RDONLY), EACCES);
		EXPECT_ERR("kill(parent as nobody)", kill(getppid(), 0), EPERM);
		EXPECT_EQ("kill(self, 0)", kill(getpid(), 0), 0);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		/* setgid first, setuid last; a non-root setgid of another gid fails. */
		EXPECT_EQ("setgid(1234)", setgid(1234), 0);
		EXPECT_EQ("setegid(0) (root can)", setegid(0), 0);
		EXPECT_EQ("setuid(4321)", setuid(4321), 0);
		ids("after setuid(4321)");
		EXPECT_ERR("setgid(5) as non-root", setgid(5), EPERM);
		EXPECT_EQ("setgid(1234) (real gid)", setgid(1234), 0);
		fflush(stdout);
		_exit(guest_failures ? 1 : 0);
	}
	printf("child: %s\n", guest_wait(c));
	ids("parent unchanged");
	return done();
}
