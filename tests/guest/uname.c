/* uname: sysname and machine (release and nodename may differ in a sandbox). */
#include "guest.h"
#include <sys/utsname.h>

int main(void) {
	struct utsname u;
	EXPECT_EQ("uname", uname(&u), 0);
	printf("sysname = %s\n", u.sysname);
	printf("machine = %s\n", u.machine);
	printf("release nonempty = %d, version nonempty = %d, nodename nonempty = %d\n", u.release[0] != 0,
	       u.version[0] != 0, u.nodename[0] != 0);
	int maj = 0, min = 0;
	printf("release parses as N.M = %d\n", sscanf(u.release, "%d.%d", &maj, &min) == 2);
	EXPECT_ERR("uname(NULL)", syscall(SYS_uname, NULL), EFAULT);
	EXPECT_ERR("uname((void*)1)", syscall(SYS_uname, (void *)1), EFAULT);
	char host[256];
	EXPECT_EQ("gethostname", gethostname(host, sizeof host), 0);
	printf("gethostname equals nodename = %d\n", strcmp(host, u.nodename) == 0);
	return done();
}
