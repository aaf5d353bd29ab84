/* Passing open files over AF_UNIX sockets (SCM_RIGHTS): the received FDs
 * name the same open files; a stream read stops at a message that carries
 * files; too small a control buffer truncates (MSG_CTRUNC) and the rest
 * are closed; MSG_CMSG_CLOEXEC; a bad FD is EBADF; files a plain read()
 * skips are dropped; a child process receives over a named socket. */
#include "guest.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static int send_fds(int sock, const char *data, const int *fds, int n) {
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n > 0) {
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return (int)sendmsg(sock, &m, 0);
}

/* Receives into buf; stores up to 8 FDs; returns bytes, -1 on error. */
static int recv_fds(int sock, char *buf, size_t len, int *fds, int *nfds, size_t clen, int flags, int *mflags) {
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = clen ? cbuf : NULL, .msg_controllen = clen};
	int r = (int)recvmsg(sock, &m, flags);
	*nfds = 0;
	if (r < 0)
		return r;
	*mflags = m.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
			*nfds = n;
		}
	return r;
}

int main(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	int file = open("/proc/self/exe", O_RDONLY);
	CHECK(file >= 0);

	/* Two files with "ab", then "cd" without: the read stops at "ab". */
	int pass[2] = {pfd[0], file};
	printf("sendmsg with 2 files = %d\n", send_fds(sv[0], "ab", pass, 2));
	printf("send without files = %d\n", send_fds(sv[0], "cd", NULL, 0));
	char buf[64] = {0};
	int got[8], n, fl = 0;
	int r = recv_fds(sv[1], buf, sizeof buf, got, &n, CMSG_SPACE(sizeof(int) * 8), 0, &fl);
	printf("recvmsg = %d \"%s\", %d files, flags %#x\n", r, buf, n, fl);
	/* The received pipe end reads what the original's writer writes. */
	CHECK(write(pfd[1], "via pipe", 8) == 8);
	memset(buf, 0, sizeof buf);
	printf("read from the passed pipe end: %zd \"%s\"\n", n > 0 ? read(got[0], buf, sizeof buf) : -1, buf);
	struct stat a, b;
	fstat(file, &a);
	printf("passed file is the same file: %d\n", n > 1 && fstat(got[1], &b) == 0 && a.st_ino == b.st_ino);
	printf("received FDs are new numbers: %d\n", n > 1 && got[0] != pfd[0] && got[1] != file);
	/* Same open file: the offset is shared. */
	lseek(file, 100, SEEK_SET);
	printf("shares the file offset: %d\n", n > 1 && lseek(got[1], 0, SEEK_CUR) == 100);
	printf("not close-on-exec: %d\n", n > 0 && !(fcntl(got[0], F_GETFD) & FD_CLOEXEC));
	memset(buf, 0, sizeof buf);
	printf("next read: %zd \"%s\"\n", read(sv[1], buf, sizeof buf), buf);
	for (int i = 0; i < n; i++)
		close(got[i]);

	/* MSG_CMSG_CLOEXEC. */
	send_fds(sv[0], "x", pass, 1);
	r = recv_fds(sv[1], buf, sizeof buf, got, &n, CMSG_SPACE(sizeof(int) * 8), MSG_CMSG_CLOEXEC, &fl);
	printf("MSG_CMSG_CLOEXEC: %d files, close-on-exec %d\n", n, n > 0 && (fcntl(got[0], F_GETFD) & FD_CLOEXEC));
	if (n > 0)
		close(got[0]);

	/* CMSG_SPACE(one int) has room for two (alignment): three passed. */
	int three[3] = {pfd[0], file, pfd[0]};
	send_fds(sv[0], "y", three, 3);
	r = recv_fds(sv[1], buf, sizeof buf, got, &n, CMSG_SPACE(sizeof(int)), 0, &fl);
	printf("control room for two of three: %d files, MSG_CTRUNC %d\n", n, !!(fl & MSG_CTRUNC));
	for (int i = 0; i < n; i++)
		close(got[i]);
	/* No control buffer at all. */
	send_fds(sv[0], "z", pass, 1);
	r = recv_fds(sv[1], buf, sizeof buf, got, &n, 0, 0, &fl);
	printf("no control buffer: %d bytes, %d files, MSG_CTRUNC %d\n", r, n, !!(fl & MSG_CTRUNC));
	/* read() drops them. */
	send_fds(sv[0], "w", pass, 1);
	printf("read() of a message with files: %zd\n", read(sv[1], buf, sizeof buf));

	/* A bad FD. */
	int bad[1] = {999};
	errno = 0;
	r = send_fds(sv[0], "v", bad, 1);
	printf("passing a closed FD: %d %s\n", r, r < 0 ? errname(errno) : "");

	/* Datagram and seqpacket pairs pass files too. */
	int dg[2];
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) == 0);
	send_fds(dg[0], "dgram", pass, 1);
	memset(buf, 0, sizeof buf);
	r = recv_fds(dg[1], buf, sizeof buf, got, &n, CMSG_SPACE(sizeof(int) * 8), 0, &fl);
	printf("datagram: %d \"%s\", %d files\n", r, buf, n);
	if (n > 0)
		close(got[0]);

	/* To a child over a named socket: it reads the pipe we then write. */
	char dir[] = "/tmp/scmXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s/s", dir);
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(srv, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(srv, 1) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(connect(s, (struct sockaddr *)&addr, sizeof addr) == 0);
		int f[8], k, x;
		char cb[32] = {0};
		recv_fds(s, cb, sizeof cb, f, &k, CMSG_SPACE(sizeof(int) * 8), 0, &x);
		char pb[32] = {0};
		ssize_t m = k > 0 ? read(f[0], pb, sizeof pb - 1) : -1;
		printf("child got %d file(s) with \"%s\" and read \"%s\" (%zd)\n", k, cb, pb, m);
		fflush(stdout);
		_exit(0);
	}
	int conn = accept(srv, NULL, NULL);
	send_fds(conn, "here", pass, 1);
	CHECK(write(pfd[1], "to child", 8) == 8);
	printf("child: %s\n", guest_wait(c));
	unlink(addr.sun_path);
	rmdir(dir);
	return done();
}
