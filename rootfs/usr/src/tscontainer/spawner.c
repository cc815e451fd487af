/*
 * spawner: starts many processes, to show a process-count limit at work.
 *
 * usage: spawner COUNT [SECONDS]
 *
 * Forks COUNT children that each sleep SECONDS (default 2) and exit. The first
 * failed fork is reported as "fork failed after N processes: <error>" on
 * stderr and ends the forking, since under a pids limit every later fork
 * would fail the same way. Then prints "started N of COUNT processes", waits
 * for the children, and exits 0 when all COUNT started, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: spawner COUNT [SECONDS]\n"
		"  Forks COUNT processes (1 to 1000000) that each sleep SECONDS\n"
		"  (default 2), then reports how many started.\n");
	exit(2);
}

static long parse_count(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 1 || value > 1000000) {
		fprintf(stderr, "spawner: invalid COUNT '%s': expected 1 to 1000000\n", text);
		usage();
	}
	return value;
}

static struct timespec parse_seconds(const char *text)
{
	struct timespec duration;
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(value) || value < 0 ||
	    value > 86400) {
		fprintf(stderr, "spawner: invalid SECONDS '%s': expected 0 to 86400\n", text);
		usage();
	}
	duration.tv_sec = (time_t)value;
	duration.tv_nsec = (long)((value - (double)duration.tv_sec) * 1e9);
	return duration;
}

/* Returns how many children started, stopping at the first failed fork. */
static long fork_sleepers(long count, const struct timespec *duration)
{
	for (long started = 0; started < count; started++) {
		pid_t pid = fork();

		if (pid == 0) {
			nanosleep(duration, NULL);
			_exit(0);
		}
		if (pid < 0) {
			fprintf(stderr, "fork failed after %ld processes: %s\n", started,
				strerror(errno));
			return started;
		}
	}
	return count;
}

int main(int argc, char **argv)
{
	struct timespec duration = { .tv_sec = 2 };
	long count;
	long started;

	if (argc < 2 || argc > 3)
		usage();
	count = parse_count(argv[1]);
	if (argc == 3)
		duration = parse_seconds(argv[2]);

	started = fork_sleepers(count, &duration);
	printf("started %ld of %ld processes\n", started, count);
	fflush(stdout);

	while (wait(NULL) > 0 || errno == EINTR)
		;
	return started == count ? 0 : 1;
}
