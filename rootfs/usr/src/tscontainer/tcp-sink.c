/*
 * tcp-sink: receives and discards TCP streams, for throughput benchmarks.
 *
 * usage: tcp-sink PORT
 *
 * Listens on 0.0.0.0:PORT (PORT 0 lets the kernel choose), prints
 * "listening on port N", then serves one connection at a time: it reads until
 * the sender closes, discards the data and prints a line such as
 * "received 104857600 bytes from 10.0.0.1:40000 in 0.052 s: 1923.1 MiB/s".
 * The time runs from accept() to end of stream. SIGINT and SIGTERM stop it
 * with exit status 0, also as PID 1 of a PID namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)

static volatile sig_atomic_t stop_signal;
/* The signal mask with SIGINT and SIGTERM deliverable, used while waiting. */
static sigset_t waiting_mask;

static void usage(void)
{
	fprintf(stderr,
		"usage: tcp-sink PORT\n"
		"  Accepts TCP connections on 0.0.0.0:PORT (0 to 65535; 0 picks a free\n"
		"  port), discards what they send and prints the throughput of each.\n");
	exit(2);
}

static int parse_port(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 65535) {
		fprintf(stderr, "tcp-sink: invalid port '%s': expected 0 to 65535\n", text);
		usage();
	}
	return (int)value;
}

static void on_stop(int signal_number)
{
	stop_signal = signal_number;
}

static void install_handlers(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART, so a blocked accept() or read() returns EINTR. */
	action.sa_handler = on_stop;
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
}

/*
 * Blocks SIGINT and SIGTERM except inside ppoll(), which unblocks them
 * atomically while it waits. Without this, a stop signal that arrives between
 * the check of stop_signal and a blocking accept() would be handled without
 * waking the accept(), and the server would not stop.
 */
static void block_stop_signals(void)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &waiting_mask);
}

/* Waits for a client on the listener. Returns 0 once a stop signal arrived. */
static int wait_for_client(int listener)
{
	struct pollfd poll_fd = { .fd = listener, .events = POLLIN };

	while (!stop_signal) {
		if (ppoll(&poll_fd, 1, NULL, &waiting_mask) > 0)
			return 1;
	}
	return 0;
}

static int listen_on(int port)
{
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int enable = 1;
	/* Non-blocking: a client that left between ppoll() and accept() gives EAGAIN. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		perror("tcp-sink: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_ANY);
	address.sin_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		fprintf(stderr, "tcp-sink: bind to 0.0.0.0:%d failed: %s\n", port, strerror(errno));
		exit(1);
	}
	if (listen(fd, 16) < 0) {
		perror("tcp-sink: listen");
		exit(1);
	}

	getsockname(fd, (struct sockaddr *)&address, &length);
	printf("listening on port %d\n", ntohs(address.sin_port));
	fflush(stdout);
	return fd;
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Reads until end of stream and returns the byte count, or -1 on an error. */
static long long drain(int fd)
{
	static char buffer[256 * 1024];
	long long total = 0;

	for (;;) {
		ssize_t received = read(fd, buffer, sizeof(buffer));

		if (received < 0 && errno == EINTR && !stop_signal)
			continue;
		if (received < 0)
			return -1;
		if (received == 0)
			return total;
		total += received;
	}
}

static void receive_one(int fd, const struct sockaddr_in *peer, double started)
{
	char address[INET_ADDRSTRLEN];
	int port = ntohs(peer->sin_port);
	long long total = drain(fd);
	double seconds = monotonic_seconds() - started;

	inet_ntop(AF_INET, &peer->sin_addr, address, sizeof(address));
	if (total < 0) {
		fprintf(stderr, "tcp-sink: reading from %s:%d failed: %s\n", address, port,
			strerror(errno));
		return;
	}
	printf("received %lld bytes from %s:%d in %.3f s: %.1f MiB/s\n", total, address, port,
	       seconds, seconds > 0 ? (double)total / MIB / seconds : 0.0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int listener;

	if (argc != 2)
		usage();
	install_handlers();
	block_stop_signals();
	listener = listen_on(parse_port(argv[1]));

	while (wait_for_client(listener)) {
		struct sockaddr_in peer;
		socklen_t length = sizeof(peer);
		int fd = accept4(listener, (struct sockaddr *)&peer, &length, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
				fprintf(stderr, "tcp-sink: accept failed: %s\n", strerror(errno));
			continue;
		}
		/* A stop signal may interrupt the transfer, as before. */
		sigprocmask(SIG_SETMASK, &waiting_mask, NULL);
		receive_one(fd, &peer, monotonic_seconds());
		block_stop_signals();
		close(fd);
	}

	fprintf(stderr, "tcp-sink: stopping on signal %d\n", (int)stop_signal);
	return 0;
}
