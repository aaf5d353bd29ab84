/* ptrace event stops: PTRACE_O_TRACEEXEC (event + GETEVENTMSG former tid),
 * PTRACE_O_TRACEFORK (new child auto-attached, starts with SIGSTOP),
 * PTRACE_O_TRACECLONE for a thread, PTRACE_O_TRACEEXIT with the exit
 * status in GETEVENTMSG, PTRACE_O_EXITKILL. */
#include "guest.h"
#include <pthread.h>
#include <sys/ptrace.h>

static void *thread_fn(void *arg) {
	return arg;
}

static const char *event_name(int st) {
	switch (st >> 16) {
	case PTRACE_EVENT_FORK:
		return "FORK";
	case PTRACE_EVENT_VFORK:
		return "VFORK";
	case PTRACE_EVENT_CLONE:
		return "CLONE";
	case PTRACE_EVENT_EXEC:
		return "EXEC";
	case PTRACE_EVENT_EXIT:
		return "EXIT";
	case 0:
		return "none";
	}
	return "other";
}

/* Waits for the next stop of pid; plain signal-delivery stops other than
 * SIGSTOP/SIGTRAP (e.g. SIGCHLD from a grandchild) are passed on silently. */
static void stop(pid_t pid, const char *label) {
	int st;
	for (;;) {
		if (waitpid(pid, &st, __WALL) != pid) {
			FAIL("%s: waitpid: %s", label, errname(errno));
			return;
		}
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) != SIGSTOP && WSTOPSIG(st) != SIGTRAP) {
			ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(st));
			continue;
		}
		break;
	}
	printf("%s: %s, event %s\n", label, guest_wstatus(st), event_name(st));
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--exec") == 0)
		return 3;
	if (argc > 1 && strcmp(argv[1], "--fork") == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(4);
		waitpid(g, NULL, 0);
		pthread_t t;
		pthread_create(&t, NULL, thread_fn, NULL);
		pthread_join(t, NULL);
		return 5;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		char *args[] = {"self", "--exec", NULL};
		execv("/proc/self/exe", args);
		_exit(90);
	}
	stop(c, "initial");
	EXPECT_EQ("SETOPTIONS(TRACEEXEC|TRACEEXIT)",
	          ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT), 0);
	ptrace(PTRACE_CONT, c, 0, 0);
	stop(c, "exec");
	unsigned long msg = 0;
	EXPECT_EQ("GETEVENTMSG", ptrace(PTRACE_GETEVENTMSG, c, 0, &msg), 0);
	printf("exec event message is the (former) tid = %d\n", msg == (unsigned long)c);
	ptrace(PTRACE_CONT, c, 0, 0);
	stop(c, "exit");
	ptrace(PTRACE_GETEVENTMSG, c, 0, &msg);
	printf("exit event message: %s\n", guest_wstatus((int)msg));
	ptrace(PTRACE_CONT, c, 0, 0);
	printf("tracee: %s\n", guest_wait(c));

	/* Fork and clone events. */
	c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		char *args[] = {"self", "--fork", NULL};
		execv("/proc/self/exe", args);
		_exit(90);
	}
	stop(c, "initial");
	ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC);
	ptrace(PTRACE_CONT, c, 0, 0);
	stop(c, "exec");
	ptrace(PTRACE_CONT, c, 0, 0);
	stop(c, "fork");
	unsigned long newpid = 0;
	ptrace(PTRACE_GETEVENTMSG, c, 0, &newpid);
	printf("fork event message is a new pid = %d\n", newpid > 0 && newpid != (unsigned long)c);
	stop((pid_t)newpid, "auto-attached grandchild");
	ptrace(PTRACE_CONT, (pid_t)newpid, 0, 0);
	ptrace(PTRACE_CONT, c, 0, 0);
	/* The grandchild exits; its parent (our tracee) reaps it. As its tracer
	 * we see the exit first. */
	int st;
	CHECK(waitpid((pid_t)newpid, &st, __WALL) == (pid_t)newpid);
	printf("grandchild: %s\n", guest_wstatus(st));
	stop(c, "clone");
	unsigned long tid = 0;
	ptrace(PTRACE_GETEVENTMSG, c, 0, &tid);
	stop((pid_t)tid, "new thread");
	ptrace(PTRACE_CONT, (pid_t)tid, 0, 0);
	ptrace(PTRACE_CONT, c, 0, 0);
	CHECK(waitpid((pid_t)tid, &st, __WALL) == (pid_t)tid);
	/* 0 if the thread finished first, the group's code if exit_group got it. */
	printf("thread exited = %d\n", WIFEXITED(st));
	/* Pass on any further signal stops until the tracee exits. */
	for (;;) {
		CHECK(waitpid(c, &st, __WALL) == c);
		if (!WIFSTOPPED(st))
			break;
		ptrace(PTRACE_CONT, c, 0, (void *)(long)((st >> 16) ? 0 : WSTOPSIG(st)));
	}
	printf("tracee: %s\n", guest_wstatus(st));

	/* PTRACE_O_EXITKILL: the tracee dies with its tracer. The tracee holds
	 * the only write end of `life`, so EOF on it means the tracee is dead. */
	int life[2];
	CHECK(pipe(life) == 0);
	fflush(stdout);
	pid_t tracer = fork();
	if (tracer == 0) {
		close(life[0]);
		pid_t t = fork();
		if (t == 0) {
			ptrace(PTRACE_TRACEME, 0, 0, 0);
			raise(SIGSTOP);
			for (;;)
				pause();
		}
		close(life[1]);
		waitpid(t, NULL, 0);
		ptrace(PTRACE_SETOPTIONS, t, 0, PTRACE_O_EXITKILL);
		ptrace(PTRACE_CONT, t, 0, 0);
		_exit(0);
	}
	close(life[1]);
	printf("tracer: %s\n", guest_wait(tracer));
	char x;
	EXPECT_EQ("read(life) sees EOF: the EXITKILL tracee died", read(life[0], &x, 1), 0);
	return done();
}
