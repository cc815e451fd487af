/*
 * echo-server: a TCP echo server for network checks between containers.
 *
 * usage: echo-server [-H] PORT
 *
 * Listens on 0.0.0.0:PORT (PORT 0 lets the kernel choose) and prints
 * "listening on port N" to stdout once it accepts connections. Each client is
 * served by a forked child, so clients are served concurrently. Connections
 * and disconnections are logged to stderr with the peer address. With -H,
 * every echoed line starts with the hostname and ": ", so replies from two
 * containers that listen on the same port differ. SIGINT and SIGTERM stop the
 * server with exit status 0. It installs handlers for them because PID 1 of a
 * PID namespace ignores signals whose action is the default.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
/* The signal mask with SIGINT and SIGTERM deliverable, used while waiting. */
static sigset_t waiting_mask;

static void usage(void)
{
	fprintf(stderr,
		"usage: echo-server [-H] PORT\n"
		"  Echoes each line it receives over TCP on 0.0.0.0:PORT (0 to 65535;\n"
		"  0 picks a free port). -H prefixes each echoed line with the hostname.\n");
	exit(2);
}

static int parse_port(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 65535) {
		fprintf(stderr, "echo-server: invalid port '%s': expected 0 to 65535\n", text);
		usage();
	}
	return (int)value;
}

static void on_stop(int signal_number)
{
	stop_signal = signal_number;
}

static void reap_children(int signal_number)
{
	int saved_errno = errno;

	(void)signal_number;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved_errno;
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

	action.sa_handler = reap_children;
	action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &action, NULL);

	/* A client that goes away makes write() fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

static int listen_on(int port)
{
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int enable = 1;
	/* Non-blocking: a client that left between ppoll() and accept() gives EAGAIN. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		perror("echo-server: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_ANY);
	address.sin_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		fprintf(stderr, "echo-server: bind to 0.0.0.0:%d failed: %s\n", port, strerror(errno));
		exit(1);
	}
	if (listen(fd, 128) < 0) {
		perror("echo-server: listen");
		exit(1);
	}

	getsockname(fd, (struct sockaddr *)&address, &length);
	printf("listening on port %d\n", ntohs(address.sin_port));
	fflush(stdout);
	return fd;
}

static int write_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);

		if (written < 0 && errno == EINTR && !stop_signal)
			continue;
		if (written < 0)
			return -1;
		data += written;
		length -= (size_t)written;
	}
	return 0;
}

/*
 * Copies what the client sends back to it, inserting the prefix (which may be
 * empty) at the start of every line. Returns the errno that ended the
 * connection, or 0 when the client closed it.
 */
static int echo(int fd, const char *prefix)
{
	char input[4096];
	char output[sizeof(input)];
	size_t prefix_length = strlen(prefix);
	int at_line_start = 1;

	for (;;) {
		ssize_t received = read(fd, input, sizeof(input));
		size_t used = 0;

		if (received < 0 && errno == EINTR && !stop_signal)
			continue;
		if (received < 0)
			return errno;
		if (received == 0)
			return 0;

		for (ssize_t i = 0; i < received; i++) {
			if (at_line_start && prefix_length > 0) {
				if (write_all(fd, output, used) < 0)
					return errno;
				used = 0;
				if (write_all(fd, prefix, prefix_length) < 0)
					return errno;
			}
			output[used++] = input[i];
			at_line_start = input[i] == '\n';
		}
		if (write_all(fd, output, used) < 0)
			return errno;
	}
}

static void serve_client(int fd, const struct sockaddr_in *peer, const char *prefix)
{
	char address[INET_ADDRSTRLEN];
	int port = ntohs(peer->sin_port);
	int error;

	inet_ntop(AF_INET, &peer->sin_addr, address, sizeof(address));
	fprintf(stderr, "echo-server: connection from %s:%d\n", address, port);

	error = echo(fd, prefix);
	if (error != 0 && !stop_signal)
		fprintf(stderr, "echo-server: %s:%d disconnected: %s\n", address, port, strerror(error));
	else
		fprintf(stderr, "echo-server: %s:%d disconnected\n", address, port);
	close(fd);
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

static void accept_clients(int listener, const char *prefix)
{
	while (wait_for_client(listener)) {
		struct sockaddr_in peer;
		socklen_t length = sizeof(peer);
		int fd = accept4(listener, (struct sockaddr *)&peer, &length, SOCK_CLOEXEC);
		pid_t pid;

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
				fprintf(stderr, "echo-server: accept failed: %s\n", strerror(errno));
			continue;
		}

		pid = fork();
		if (pid == 0) {
			sigprocmask(SIG_SETMASK, &waiting_mask, NULL);
			close(listener);
			serve_client(fd, &peer, prefix);
			_exit(0);
		}
		if (pid < 0)
			fprintf(stderr, "echo-server: fork failed, closing the connection: %s\n",
				strerror(errno));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	char prefix[HOST_NAME_MAX + 3] = "";
	int option;
	int listener;

	while ((option = getopt(argc, argv, "H")) != -1) {
		if (option != 'H')
			usage();
		if (gethostname(prefix, HOST_NAME_MAX + 1) < 0) {
			perror("echo-server: gethostname");
			return 1;
		}
		prefix[HOST_NAME_MAX] = '\0';
		strcat(prefix, ": ");
	}
	if (argc - optind != 1)
		usage();

	install_handlers();
	block_stop_signals();
	listener = listen_on(parse_port(argv[optind]));
	accept_clients(listener, prefix);

	fprintf(stderr, "echo-server: stopping on signal %d\n", (int)stop_signal);
	return 0;
}
