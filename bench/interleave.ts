/**
 * Timing several commands interleaved (A B C, B C A, ...), so that drift in
 * the machine's load affects all of them alike and ratios come from one run.
 */
import { progress } from "./progress.ts";
import { run, tail } from "./process.ts";
import { summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";

/** One command under test. */
export interface Contender {
  label: string;
  /** The argv of round `round`; names that must be unique use the round. */
  argv: (round: number) => string[];
}

/** Wall times of one contender. */
export interface ContenderResult {
  label: string;
  /** The argv of the first timed round, for the report. */
  command: string[];
  timesMs: number[];
  summary: Summary;
  /** One message per failed start, warm-ups included. */
  failures: string[];
}

/**
 * Runs every contender `warmups` rounds untimed, then `runs` rounds timed.
 * Each round starts with the next contender in turn, so none always runs
 * first. A start fails when it exits with a non-zero status; failed starts
 * are not timed.
 */
export async function runInterleaved(
  contenders: Contender[],
  counts: { runs: number; warmups: number },
): Promise<ContenderResult[]> {
  const results = contenders.map((contender) => ({
    label: contender.label,
    command: contender.argv(counts.warmups),
    timesMs: [] as number[],
    failures: [] as string[],
  }));
  const rounds = counts.warmups + counts.runs;
  for (let round = 0; round < rounds; round++) {
    const timed = round >= counts.warmups;
    for (let turn = 0; turn < contenders.length; turn++) {
      const index = (round + turn) % contenders.length;
      const argv = contenders[index].argv(round);
      const result = await run(argv, { stdout: "null" });
      if (result.code !== 0) {
        results[index].failures.push(
          `exit status ${result.code}: ${tail(result.stderr)}`,
        );
      } else if (timed) {
        results[index].timesMs.push(result.ms);
      }
    }
    if ((round + 1) % 10 === 0) progress(`  round ${round + 1} of ${rounds}`);
  }
  return results.map((result) => ({
    ...result,
    summary: summarize(result.timesMs),
  }));
}
