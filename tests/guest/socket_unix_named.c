/* Named AF_UNIX sockets: bind to a path (a socket file appears) and to an
 * abstract name, autobind, listen, connect, accept/accept4 with the
 * peer's address, getsockname/getpeername, SO_ACCEPTCONN, SO_PEERCRED,
 * poll on a listener, and the errors: EADDRINUSE, ECONNREFUSED, ENOENT,
 * EINVAL, EAGAIN from a non-blocking accept. */
#include "guest.h"
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* Unique per process: the abstract namespace is the host's when the test
 * runs natively, and two runs may overlap. */
static char abs_name[64];

static void show_name(const char *what, int fd, int peer) {
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
	if (r != 0) {
		printf("%s: -1 %s\n", what, errname(errno));
		return;
	}
	long name_len = (long)len - (long)offsetof(struct sockaddr_un, sun_path);
	if (name_len <= 0)
		printf("%s: unnamed (len %u)\n", what, len);
	else if (a.sun_path[0] == 0)
		printf("%s: abstract, the name bound %d\n", what,
		       (size_t)name_len - 1 == strlen(abs_name) && memcmp(a.sun_path + 1, abs_name, strlen(abs_name)) == 0);
	else
		printf("%s: path \"%s\" (len %u)\n", what, a.sun_path, len);
}

int main(void) {
	char dir[] = "/tmp/unixnamedXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chdir(dir) == 0);
	struct sockaddr_un a;

	/* A path socket: bind makes a socket file. */
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t alen = path_addr(&a, "sock");
	EXPECT_EQ("bind(sock)", bind(srv, (struct sockaddr *)&a, alen), 0);
	struct stat st;
	CHECK(stat("sock", &st) == 0);
	printf("socket file is S_IFSOCK: %d\n", S_ISSOCK(st.st_mode));
	show_name("getsockname(bound)", srv, 0);
	EXPECT_ERR("bind again to its path", bind(srv, (struct sockaddr *)&a, alen), EADDRINUSE);
	struct sockaddr_un a2;
	socklen_t a2len = path_addr(&a2, "sock2");
	EXPECT_ERR("bind again to a new path", bind(srv, (struct sockaddr *)&a2, a2len), EINVAL);
	printf("no file left at the new path: %d\n", access("sock2", F_OK) != 0);
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERR("bind(sock) by another socket", bind(other, (struct sockaddr *)&a, alen), EADDRINUSE);
	EXPECT_ERR("connect before listen", connect(other, (struct sockaddr *)&a, alen), ECONNREFUSED);
	int acc;
	socklen_t ilen = sizeof acc;
	getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ilen);
	printf("SO_ACCEPTCONN before listen: %d\n", acc);
	EXPECT_EQ("listen", listen(srv, 4), 0);
	getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ilen);
	printf("SO_ACCEPTCONN after listen: %d\n", acc);

	/* Non-blocking accept with nothing waiting; poll shows nothing. */
	int fl = fcntl(srv, F_GETFL);
	fcntl(srv, F_SETFL, fl | O_NONBLOCK);
	EXPECT_ERR("non-blocking accept with no client", accept(srv, NULL, NULL), EAGAIN);
	fcntl(srv, F_SETFL, fl);
	struct pollfd p = {.fd = srv, .events = POLLIN | POLLOUT};
	int pr = poll(&p, 1, 0);
	printf("poll(listener, idle) = %d revents %#x\n", pr, p.revents);

	/* A client connects; the listener polls readable; accept gets it. */
	int cli = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_EQ("connect(sock)", connect(cli, (struct sockaddr *)&a, alen), 0);
	pr = poll(&p, 1, 0);
	printf("poll(listener, client waiting) = %d revents %#x\n", pr, p.revents);
	show_name("client getsockname", cli, 0);
	show_name("client getpeername", cli, 1);
	struct sockaddr_un from;
	socklen_t flen = sizeof from;
	int conn = accept4(srv, (struct sockaddr *)&from, &flen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(conn >= 0);
	printf("accept4 flags: O_NONBLOCK %d FD_CLOEXEC %d\n", !!(fcntl(conn, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(conn, F_GETFD) & FD_CLOEXEC));
	fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) & ~O_NONBLOCK);
	printf("accept: peer address length %u (unnamed client)\n", flen);
	show_name("accepted getsockname", conn, 0);
	show_name("accepted getpeername", conn, 1);
	struct ucred cred;
	socklen_t clen = sizeof cred;
	CHECK(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0);
	printf("SO_PEERCRED of the client is us: %d\n", cred.pid == getpid() && cred.uid == getuid());
	CHECK(write(cli, "ping", 4) == 4);
	char buf[16] = {0};
	printf("server read %zd \"%s\"\n", read(conn, buf, sizeof buf - 1), buf);
	CHECK(write(conn, "pong!", 5) == 5);
	memset(buf, 0, sizeof buf);
	printf("client read %zd \"%s\"\n", read(cli, buf, sizeof buf - 1), buf);
	EXPECT_ERR("connect again", connect(cli, (struct sockaddr *)&a, alen), EISCONN);
	close(conn);
	printf("client read after the server closed: %zd\n", read(cli, buf, sizeof buf));
	close(cli);

	/* A client in a child process, blocking accept in the parent. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		usleep(50000);
		CHECK(connect(s, (struct sockaddr *)&a, alen) == 0);
		CHECK(write(s, "from child", 10) == 10);
		close(s);
		_exit(0);
	}
	conn = accept(srv, NULL, NULL);
	memset(buf, 0, sizeof buf);
	printf("blocking accept got \"%s\"\n", read(conn, buf, sizeof buf - 1) > 0 ? buf : "?");
	close(conn);
	printf("child: %s\n", guest_wait(c));

	/* The socket file outlives the socket: a connect then is refused. */
	close(srv);
	int late = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERR("connect to a closed listener's file", connect(late, (struct sockaddr *)&a, alen), ECONNREFUSED);
	alen = path_addr(&a, "nothing-here");
	EXPECT_ERR("connect to a missing path", connect(late, (struct sockaddr *)&a, alen), ENOENT);
	int reg = open("plain", O_CREAT | O_WRONLY, 0644);
	close(reg);
	alen = path_addr(&a, "plain");
	EXPECT_ERR("connect to a regular file", connect(late, (struct sockaddr *)&a, alen), ECONNREFUSED);
	unlink("sock");

	/* Abstract names: no file; the name frees with the socket. */
	int abs1 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(abs_name, sizeof abs_name, "rvisor-test-%d", getpid());
	alen = abstract_addr(&a, abs_name);
	EXPECT_EQ("bind(abstract)", bind(abs1, (struct sockaddr *)&a, alen), 0);
	show_name("abstract getsockname", abs1, 0);
	EXPECT_EQ("listen(abstract)", listen(abs1, 1), 0);
	int abs2 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	EXPECT_EQ("connect(abstract)", connect(abs2, (struct sockaddr *)&a, alen), 0);
	int abs3 = accept(abs1, NULL, NULL);
	CHECK(send(abs2, "one", 3, 0) == 3 && send(abs2, "two", 3, 0) == 3);
	memset(buf, 0, sizeof buf);
	printf("seqpacket keeps records: %zd", recv(abs3, buf, sizeof buf, 0));
	printf(" %zd\n", recv(abs3, buf, sizeof buf, 0));
	int stream = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERR("stream connect to a seqpacket listener", connect(stream, (struct sockaddr *)&a, alen), ECONNREFUSED);
	close(abs3);
	close(abs2);
	close(abs1);
	int abs4 = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_EQ("bind(abstract) after the first socket closed", bind(abs4, (struct sockaddr *)&a, alen), 0);

	/* Autobind: the family alone picks a five-digit abstract name. */
	int au = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	EXPECT_EQ("bind(family only)", bind(au, (struct sockaddr *)&fam, sizeof(sa_family_t)), 0);
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	getsockname(au, (struct sockaddr *)&got, &glen);
	printf("autobind: abstract %d, length %u\n", got.sun_path[0] == 0, glen);

	/* Bad addresses. */
	int bad = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un wrong = {.sun_family = AF_INET};
	EXPECT_ERR("bind(AF_INET family)", bind(bad, (struct sockaddr *)&wrong, sizeof wrong), EINVAL);
	EXPECT_ERR("bind(length 1)", bind(bad, (struct sockaddr *)&fam, 1), EINVAL);
	EXPECT_ERR("listen(unbound)", listen(bad, 1), EINVAL);
	EXPECT_ERR("accept(not listening)", accept(bad, NULL, NULL), EINVAL);
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	EXPECT_ERR("accept(datagram)", accept(dg, NULL, NULL), EOPNOTSUPP);

	unlink("plain");
	CHECK(chdir("/") == 0);
	rmdir(dir);
	return done();
}
