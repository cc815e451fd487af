/*
 * memhog: allocates memory step by step, to show a memory limit at work.
 *
 * usage: memhog TOTAL_MIB STEP_MIB
 *
 * Allocates STEP_MIB mebibytes at a time (the last step may be smaller) and
 * writes to every page, so that each step is charged to the memory cgroup.
 * Prints "holding N MiB" after each step and pauses PAUSE_MS between steps so
 * a sampler can watch the usage grow. Ends with "done: holding N MiB" and exit
 * status 0. Under a memory limit that is too small, the kernel's OOM killer
 * usually ends the process with SIGKILL before it prints "done".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define PAUSE_MS 50

static void usage(void)
{
	fprintf(stderr,
		"usage: memhog TOTAL_MIB STEP_MIB\n"
		"  Allocates and writes TOTAL_MIB mebibytes in steps of STEP_MIB,\n"
		"  printing the total held after each step.\n");
	exit(2);
}

static long parse_mib(const char *name, const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 1 || value > 1024L * 1024L) {
		fprintf(stderr, "memhog: invalid %s '%s': expected 1 to 1048576 MiB\n", name, text);
		usage();
	}
	return value;
}

/* Writes one byte per page, which makes the kernel back every page. */
static void touch_pages(char *memory, long size)
{
	long page_size = sysconf(_SC_PAGESIZE);
	volatile char *bytes = memory;

	for (long offset = 0; offset < size; offset += page_size)
		bytes[offset] = 1;
}

static void pause_briefly(void)
{
	struct timespec pause = { .tv_nsec = PAUSE_MS * 1000000L };

	nanosleep(&pause, NULL);
}

int main(int argc, char **argv)
{
	long total_mib;
	long step_mib;
	long held_mib = 0;

	if (argc != 3)
		usage();
	total_mib = parse_mib("TOTAL_MIB", argv[1]);
	step_mib = parse_mib("STEP_MIB", argv[2]);

	while (held_mib < total_mib) {
		long size_mib = total_mib - held_mib < step_mib ? total_mib - held_mib : step_mib;
		/* The blocks are never freed: the process holds them until it exits. */
		char *block = malloc(size_mib * MIB);

		if (block == NULL) {
			fprintf(stderr, "memhog: allocating %ld MiB more failed at %ld MiB: %s\n",
				size_mib, held_mib, strerror(errno));
			return 1;
		}
		touch_pages(block, size_mib * MIB);
		held_mib += size_mib;
		printf("holding %ld MiB\n", held_mib);
		fflush(stdout);
		if (held_mib < total_mib)
			pause_briefly();
	}

	printf("done: holding %ld MiB\n", held_mib);
	return 0;
}
