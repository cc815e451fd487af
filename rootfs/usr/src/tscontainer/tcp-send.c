/*
 * tcp-send: sends a stream of zeros over TCP as fast as it can, for
 * throughput benchmarks against tcp-sink.
 *
 * usage: tcp-send HOST PORT MIB
 *
 * HOST is a dotted IPv4 address or "localhost". Sends MIB mebibytes, closes
 * its side, waits until the receiver closes too (so all data has been read),
 * and prints a line such as "sent 100 MiB in 0.052 s: 1923.1 MiB/s". The time
 * runs from the established connection to the receiver's close. Connecting
 * times out after TIMEOUT_SECONDS. Exits 0 on success, 1 on a network
 * failure and 2 on invalid arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 5
#define MIB (1024L * 1024L)

static const char *host;
static const char *port_text;

static void usage(void)
{
	fprintf(stderr,
		"usage: tcp-send HOST PORT MIB\n"
		"  Sends MIB mebibytes (1 to 1048576) to HOST:PORT over TCP and prints\n"
		"  the throughput. HOST is an IPv4 address or localhost.\n");
	exit(2);
}

static void fail(const char *action, int error)
{
	fprintf(stderr, "tcp-send: %s %s:%s failed: %s\n", action, host, port_text,
		strerror(error));
	exit(1);
}

static long parse_long(const char *name, const char *text, long min, long max)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
		fprintf(stderr, "tcp-send: invalid %s '%s': expected %ld to %ld\n", name, text, min,
			max);
		usage();
	}
	return value;
}

static struct sockaddr_in parse_address(void)
{
	struct sockaddr_in address;

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	if (strcmp(host, "localhost") == 0)
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
		fprintf(stderr, "tcp-send: invalid host '%s': expected an IPv4 address or localhost\n",
			host);
		usage();
	}
	address.sin_port = htons((unsigned short)parse_long("PORT", port_text, 1, 65535));
	return address;
}

/* Connects without blocking, so that an unreachable host times out. */
static int connect_with_timeout(const struct sockaddr_in *address)
{
	struct pollfd waiting;
	socklen_t length = sizeof(int);
	int error = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket for", errno);
	if (connect(fd, (const struct sockaddr *)address, sizeof(*address)) < 0) {
		if (errno != EINPROGRESS)
			fail("connect to", errno);
		waiting.fd = fd;
		waiting.events = POLLOUT;
		if (poll(&waiting, 1, TIMEOUT_SECONDS * 1000) == 0)
			fail("connect to", ETIMEDOUT);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
		if (error != 0)
			fail("connect to", error);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void send_zeros(int fd, long mib)
{
	static char buffer[MIB];

	for (long i = 0; i < mib; i++) {
		size_t offset = 0;

		while (offset < sizeof(buffer)) {
			ssize_t written = write(fd, buffer + offset, sizeof(buffer) - offset);

			if (written < 0 && errno == EINTR)
				continue;
			if (written < 0)
				fail("send to", errno);
			offset += (size_t)written;
		}
	}
}

/* Waits for the receiver to close its side, which it does after reading all. */
static void wait_for_close(int fd)
{
	char byte;
	ssize_t received;

	shutdown(fd, SHUT_WR);
	do
		received = read(fd, &byte, 1);
	while (received > 0 || (received < 0 && errno == EINTR));
	if (received < 0)
		fail("closing the connection to", errno);
}

int main(int argc, char **argv)
{
	struct sockaddr_in address;
	long mib;
	double started;
	double seconds;
	int fd;

	if (argc != 4)
		usage();
	host = argv[1];
	port_text = argv[2];
	address = parse_address();
	mib = parse_long("MIB", argv[3], 1, 1024L * 1024L);

	signal(SIGPIPE, SIG_IGN);
	fd = connect_with_timeout(&address);
	started = monotonic_seconds();
	send_zeros(fd, mib);
	wait_for_close(fd);
	seconds = monotonic_seconds() - started;
	close(fd);

	printf("sent %ld MiB in %.3f s: %.1f MiB/s\n", mib, seconds,
	       seconds > 0 ? (double)mib / seconds : 0.0);
	return 0;
}
