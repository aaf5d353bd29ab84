// args: alpha beta --delta=1 x=y
/* argv, environ and the auxiliary vector as the program sees them. */
#include "guest.h"
#include <sys/auxv.h>

extern char **environ;

int main(int argc, char **argv) {
	printf("argc = %d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = [%s]\n", i, argv[i]);
	printf("argv[argc] == NULL = %d\n", argv[argc] == NULL);
	const char *base = strrchr(argv[0], '/');
	printf("argv[0] basename = %s\n", base ? base + 1 : argv[0]);
	printf("RVISOR_GUEST = %s\n", getenv("RVISOR_GUEST") ? getenv("RVISOR_GUEST") : "(unset)");
	printf("LANG = %s\n", getenv("LANG") ? getenv("LANG") : "(unset)");
	int n = 0, found = 0;
	for (char **e = environ; *e; e++) {
		n++;
		found += strcmp(*e, "RVISOR_GUEST=1") == 0;
	}
	printf("environ has RVISOR_GUEST=1 = %d, nonempty = %d\n", found, n > 0);
	/* environ follows argv on the initial stack. */
	printf("environ == argv + argc + 1 = %d\n", environ == argv + argc + 1);
	printf("AT_PAGESZ = %lu\n", getauxval(AT_PAGESZ));
	printf("AT_RANDOM set = %d\n", getauxval(AT_RANDOM) != 0);
	printf("AT_PHDR set = %d, AT_ENTRY set = %d\n", getauxval(AT_PHDR) != 0, getauxval(AT_ENTRY) != 0);
	printf("AT_UID == getuid = %d\n", getauxval(AT_UID) == getuid());
	printf("AT_SECURE = %lu\n", getauxval(AT_SECURE));
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN == argv[0] = %d\n", execfn && strcmp(execfn, argv[0]) == 0);
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM = %s\n", plat ? plat : "(none)");
	return done();
}
