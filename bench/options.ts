/** Command-line options of `deno task bench` and the run counts they imply. */
import { parseArgs } from "node:util";

/** The benchmarks, in the order they run and appear in the report. */
export const BENCH_IDS = ["P1", "P2", "P3", "P4", "P5", "timeline"] as const;
export type BenchId = typeof BENCH_IDS[number];

/** How many times each measurement repeats. */
export interface RunCounts {
  /** Timed starts per runtime in P1 and P2, after the warm-up starts. */
  startups: number;
  /** Untimed starts per runtime before P1, P2 and the timeline. */
  warmups: number;
  /** Debug-log starts per network mode for the start-up timeline. */
  timelineStarts: number;
  /** Containers per runtime whose peak RSS is sampled in P3. */
  memoryRuns: number;
  /** Repetitions of each group size in P4. */
  concurrencyRuns: number;
  /** Transfers per path in P5, after one warm-up transfer each. */
  throughputRuns: number;
  /** Size of one P5 transfer in MiB. */
  transferMiB: number;
  /** Fresh processes per probe of the start-up anatomy. */
  probeRuns: number;
}

export interface BenchOptions {
  quick: boolean;
  only: Set<BenchId>;
  counts: RunCounts;
  /** Markdown report path, relative to the repository root. */
  output: string;
  /**
   * Program to run as tscontainer, such as a `deno compile` binary. Without
   * it, the bench runs main.ts with the Deno that runs the bench.
   */
  tscontainer?: string;
}

export const FULL_COUNTS: RunCounts = {
  startups: 30,
  warmups: 3,
  timelineStarts: 20,
  memoryRuns: 3,
  concurrencyRuns: 3,
  throughputRuns: 5,
  transferMiB: 1024,
  probeRuns: 20,
};

export const QUICK_COUNTS: RunCounts = {
  startups: 8,
  warmups: 1,
  timelineStarts: 5,
  memoryRuns: 1,
  concurrencyRuns: 1,
  throughputRuns: 2,
  transferMiB: 256,
  probeRuns: 5,
};

export const DEFAULT_OUTPUT = "docs/BENCHMARKS.md";
/** Report path of a partial run (`--only`), so it never replaces the record. */
export const PARTIAL_OUTPUT = ".bench/BENCHMARKS.md";

export const USAGE = `usage: deno task bench [options]   (as root)

Runs tscontainer side by side with runc, bwrap, unshare(1) and podman and
writes the results to ${DEFAULT_OUTPUT}.

options:
  --quick            fewer runs and smaller transfers (about 2 minutes)
  --only LIST        run only these benchmarks, comma-separated:
                     ${BENCH_IDS.join(", ")}; the report then goes to
                     ${PARTIAL_OUTPUT} unless --output is given
  --runs N           timed starts per runtime in P1 and P2 (default ${FULL_COUNTS.startups},
                     quick ${QUICK_COUNTS.startups})
  --output PATH      where to write the Markdown report
  --tscontainer CMD  program to benchmark as tscontainer, such as a binary
                     from \`deno task compile\` (default: main.ts under Deno)
  -h, --help         print this help
`;

/** Raised for invalid command-line input; main prints it with the usage. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

function parseOnly(values: string[]): Set<BenchId> {
  if (values.length === 0) return new Set(BENCH_IDS);
  const selected = new Set<BenchId>();
  for (const item of values.flatMap((value) => value.split(","))) {
    const id = BENCH_IDS.find((known) =>
      known.toLowerCase() === item.trim().toLowerCase()
    );
    if (!id) {
      throw new BenchUsageError(
        `unknown benchmark ${JSON.stringify(item)} in --only: expected ${
          BENCH_IDS.join(", ")
        }`,
      );
    }
    selected.add(id);
  }
  return selected;
}

function parseRuns(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
    throw new BenchUsageError(
      `invalid --runs ${
        JSON.stringify(text)
      }: expected an integer from 1 to 1000`,
    );
  }
  return runs;
}

/**
 * Parses the bench's arguments; returns undefined when help was requested.
 * @throws {BenchUsageError} for an unknown option or an invalid value.
 */
export function parseBenchArgs(args: string[]): BenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string", multiple: true, default: [] },
        runs: { type: "string" },
        output: { type: "string" },
        tscontainer: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new BenchUsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
  const { values } = parsed;
  if (values.help) return undefined;

  const quick = values.quick ?? false;
  const only = parseOnly(values.only ?? []);
  const base = quick ? QUICK_COUNTS : FULL_COUNTS;
  const counts = { ...base, startups: parseRuns(values.runs, base.startups) };
  const partial = only.size < BENCH_IDS.length;
  const output = values.output ?? (partial ? PARTIAL_OUTPUT : DEFAULT_OUTPUT);
  return { quick, only, counts, output, tscontainer: values.tscontainer };
}
