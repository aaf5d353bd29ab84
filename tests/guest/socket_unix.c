/* AF_UNIX socketpair: stream and datagram round trips, EOF after the peer
 * closes, EPIPE with SIGPIPE ignored, SO_TYPE, non-blocking EAGAIN. */
#include "guest.h"
#include <sys/socket.h>
#include <sys/stat.h>

int main(void) {
	int sv[2];
	char buf[64];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct stat st;
	CHECK(fstat(sv[0], &st) == 0);
	printf("fstat is socket = %d\n", S_ISSOCK(st.st_mode));
	EXPECT_EQ("stream write", write(sv[0], "hello", 5), 5);
	EXPECT_EQ("stream write 2", send(sv[0], " world", 6, 0), 6);
	ssize_t n = read(sv[1], buf, sizeof buf);
	printf("stream read %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
	EXPECT_EQ("reply", write(sv[1], "x", 1), 1);
	EXPECT_EQ("peek", recv(sv[0], buf, 1, MSG_PEEK), 1);
	EXPECT_EQ("recv after peek", recv(sv[0], buf, sizeof buf, 0), 1);
	EXPECT_ERR("recv MSG_DONTWAIT empty", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	int type = 0;
	socklen_t len = sizeof type;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0);
	printf("SO_TYPE = %d (stream %d) len %d\n", type, SOCK_STREAM, (int)len);
	struct ucred cr;
	len = sizeof cr;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0);
	printf("SO_PEERCRED pid is mine = %d, uid = %d\n", cr.pid == getpid(), cr.uid == getuid());
	close(sv[1]);
	EXPECT_EQ("read after peer close (EOF)", read(sv[0], buf, sizeof buf), 0);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERR("write after peer close", write(sv[0], "y", 1), EPIPE);
	close(sv[0]);

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	EXPECT_EQ("dgram send 3", send(sv[0], "abc", 3, 0), 3);
	EXPECT_EQ("dgram send 2", send(sv[0], "de", 2, 0), 2);
	EXPECT_EQ("dgram recv one message", recv(sv[1], buf, sizeof buf, 0), 3);
	EXPECT_EQ("dgram recv truncated", recv(sv[1], buf, 1, 0), 1);
	EXPECT_ERR("dgram nonblocking empty", recv(sv[1], buf, sizeof buf, 0), EAGAIN);
	len = sizeof type;
	CHECK(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &len) == 0);
	printf("SO_TYPE = %d (dgram %d)\n", type, SOCK_DGRAM);
	printf("cloexec = %d\n", (fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0);
	close(sv[0]);
	close(sv[1]);

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	EXPECT_EQ("seqpacket send", send(sv[0], "12345", 5, 0), 5);
	EXPECT_EQ("seqpacket short read", read(sv[1], buf, 2), 2);
	EXPECT_ERR("seqpacket empty dontwait", recv(sv[1], buf, 2, MSG_DONTWAIT), EAGAIN);
	CHECK(shutdown(sv[0], SHUT_WR) == 0);
	EXPECT_EQ("read after shutdown(SHUT_WR)", read(sv[1], buf, sizeof buf), 0);
	close(sv[0]);
	close(sv[1]);

	/* Fill a non-blocking stream until it would block. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	static char big[65536];
	long total = 0;
	for (int i = 0; i < 1000; i++) {
		n = write(sv[0], big, sizeof big);
		if (n < 0)
			break;
		total += n;
	}
	printf("filled: wrote some = %d, then %s\n", total > 0, errname(errno));
	EXPECT_ERR("socket(AF_INET6 raw)", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERR("socket bad type", socket(AF_UNIX, 77, 0), EINVAL);
	EXPECT_ERR("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT);
	EXPECT_ERR("send on a non-socket", send(1, "x", 1, 0), ENOTSOCK);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("socket() ok = %d\n", s >= 0);
	EXPECT_ERR("getpeername unconnected", getpeername(s, NULL, &len), ENOTCONN);
	return 0;
}
