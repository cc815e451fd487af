/*
 * cpuburn: keeps CPUs busy for a while, to show a CPU limit at work.
 *
 * usage: cpuburn SECONDS [THREADS]
 *
 * Runs THREADS busy loops (default 1) for SECONDS of wall-clock time, then
 * prints one line such as "cpu 1.98 s, wall 2.00 s, ratio 0.99 (1 thread)".
 * The ratio is CPU time over wall time: about THREADS without a limit, and
 * about the CPU quota (in CPUs) under a CPU limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 1024

/* CLOCK_MONOTONIC time, in seconds, at which every thread stops. */
static double deadline;

static void usage(void)
{
	fprintf(stderr,
		"usage: cpuburn SECONDS [THREADS]\n"
		"  Spins THREADS threads (default 1, at most %d) for SECONDS of wall time,\n"
		"  then prints the CPU time used and its ratio to the wall time.\n",
		MAX_THREADS);
	exit(2);
}

static double parse_seconds(const char *text)
{
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(value) || value <= 0 ||
	    value > 86400) {
		fprintf(stderr, "cpuburn: invalid SECONDS '%s': expected a number above 0, "
				"at most 86400\n", text);
		usage();
	}
	return value;
}

static int parse_threads(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 1 || value > MAX_THREADS) {
		fprintf(stderr, "cpuburn: invalid THREADS '%s': expected 1 to %d\n", text,
			MAX_THREADS);
		usage();
	}
	return (int)value;
}

static double clock_seconds(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Reads the clock in a loop until the deadline: the reads are the work. */
static void *spin(void *unused)
{
	(void)unused;
	while (clock_seconds(CLOCK_MONOTONIC) < deadline)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[MAX_THREADS];
	double seconds;
	int count = 1;
	double started;
	double wall;
	double cpu;

	if (argc < 2 || argc > 3)
		usage();
	seconds = parse_seconds(argv[1]);
	if (argc == 3)
		count = parse_threads(argv[2]);

	started = clock_seconds(CLOCK_MONOTONIC);
	deadline = started + seconds;
	for (int i = 1; i < count; i++) {
		int error = pthread_create(&threads[i], NULL, spin, NULL);

		if (error != 0) {
			fprintf(stderr, "cpuburn: starting thread %d failed: %s\n", i + 1,
				strerror(error));
			return 1;
		}
	}
	spin(NULL);
	for (int i = 1; i < count; i++)
		pthread_join(threads[i], NULL);

	wall = clock_seconds(CLOCK_MONOTONIC) - started;
	cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	printf("cpu %.2f s, wall %.2f s, ratio %.2f (%d thread%s)\n", cpu, wall, cpu / wall, count,
	       count == 1 ? "" : "s");
	return 0;
}
