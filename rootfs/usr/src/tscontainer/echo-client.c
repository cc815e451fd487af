/*
 * echo-client: sends lines to an echo server and prints the replies.
 *
 * usage: echo-client HOST PORT [LINE...]
 *
 * HOST is a dotted IPv4 address or "localhost". Sends each LINE (or each line
 * of stdin when no LINE is given) and prints its reply to stdout before
 * sending the next.
 * Connecting and each reply time out after TIMEOUT_SECONDS. Exits 0 on
 * success, 1 on a network failure and 2 on invalid arguments.
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
#include <sys/time.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 5

static const char *host;
static const char *port_text;

static void usage(void)
{
	fprintf(stderr,
		"usage: echo-client HOST PORT [LINE...]\n"
		"  Sends each LINE (or each stdin line) to the TCP echo server at\n"
		"  HOST:PORT and prints the replies. HOST is an IPv4 address or localhost.\n");
	exit(2);
}

static void fail(const char *action, int error)
{
	fprintf(stderr, "echo-client: %s %s:%s failed: %s\n", action, host, port_text,
		strerror(error));
	exit(1);
}

static struct sockaddr_in parse_address(void)
{
	struct sockaddr_in address;
	char *end;
	long port;

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	if (strcmp(host, "localhost") == 0)
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
		fprintf(stderr, "echo-client: invalid host '%s': expected an IPv4 address or localhost\n",
			host);
		usage();
	}

	errno = 0;
	port = strtol(port_text, &end, 10);
	if (errno != 0 || end == port_text || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "echo-client: invalid port '%s': expected 1 to 65535\n", port_text);
		usage();
	}
	address.sin_port = htons((unsigned short)port);
	return address;
}

/* Connects without blocking, so that an unreachable host times out. */
static int connect_with_timeout(const struct sockaddr_in *address)
{
	struct pollfd waiting;
	struct timeval timeout = { .tv_sec = TIMEOUT_SECONDS };
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
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

static void send_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			fail("send to", errno);
		data += written;
		length -= (size_t)written;
	}
}

/* Prints reply lines until `count` newlines have arrived. */
static void print_replies(FILE *replies, size_t count)
{
	char *line = NULL;
	size_t capacity = 0;

	for (size_t i = 0; i < count; i++) {
		errno = 0;
		if (getline(&line, &capacity, replies) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fail("reply from", ETIMEDOUT);
			if (errno != 0)
				fail("reply from", errno);
			fprintf(stderr, "echo-client: %s:%s closed the connection before replying\n",
				host, port_text);
			exit(1);
		}
		fputs(line, stdout);
		fflush(stdout);
	}
	free(line);
}

/* Sends `line` with a newline appended when it lacks one, then prints the reply. */
static void exchange(int fd, FILE *replies, const char *line)
{
	size_t length = strlen(line);
	size_t newlines = 0;

	for (size_t i = 0; i < length; i++)
		newlines += line[i] == '\n';
	send_all(fd, line, length);
	if (length == 0 || line[length - 1] != '\n') {
		send_all(fd, "\n", 1);
		newlines++;
	}
	print_replies(replies, newlines);
}

int main(int argc, char **argv)
{
	struct sockaddr_in address;
	FILE *replies;
	int fd;

	if (argc < 3)
		usage();
	host = argv[1];
	port_text = argv[2];
	address = parse_address();

	signal(SIGPIPE, SIG_IGN);
	fd = connect_with_timeout(&address);
	replies = fdopen(dup(fd), "r");
	if (replies == NULL)
		fail("fdopen for", errno);

	if (argc > 3) {
		for (int i = 3; i < argc; i++)
			exchange(fd, replies, argv[i]);
	} else {
		char *line = NULL;
		size_t capacity = 0;

		while (getline(&line, &capacity, stdin) >= 0)
			exchange(fd, replies, line);
		free(line);
	}

	shutdown(fd, SHUT_WR);
	close(fd);
	fclose(replies);
	return 0;
}
