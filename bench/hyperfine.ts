/**
 * hyperfine as a cross-check of the interleaved timings: it runs each
 * command's runs back to back, with its own warm-up and statistics.
 */
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { peerPath } from "./peers.ts";
import { run, shellQuote, tail } from "./process.ts";

export interface HyperfineCommand {
  label: string;
  argv: string[];
}

/** hyperfine's statistics for one command, in milliseconds. */
export interface HyperfineRow {
  label: string;
  mean: number;
  stddev: number;
  median: number;
  min: number;
  max: number;
  /** Mean CPU time in user and kernel mode, the command's children included. */
  user: number;
  system: number;
  runs: number;
}

interface HyperfineJson {
  results: {
    command: string;
    mean: number;
    stddev: number | null;
    median: number;
    min: number;
    max: number;
    user: number;
    system: number;
    times: number[];
  }[];
}

/** Returns the hyperfine command line, for the report and for running it. */
export function hyperfineArgv(
  context: BenchContext,
  commands: HyperfineCommand[],
  options: { runs: number; warmups: number; jsonPath: string },
): string[] {
  const argv = [
    peerPath(context.peers, "hyperfine"),
    "--shell=none",
    "--style",
    "none",
    "--warmup",
    String(options.warmups),
    "--runs",
    String(options.runs),
    "--export-json",
    options.jsonPath,
  ];
  for (const command of commands) {
    argv.push("--command-name", command.label, shellQuote(command.argv));
  }
  return argv;
}

/**
 * Runs hyperfine over `commands`; every command runs `runs` times after
 * `warmups` untimed runs. Each command must be repeatable as it is, so
 * container names in it are reused run after run.
 * @throws {Error} when hyperfine fails, such as on a failing command.
 */
export async function runHyperfine(
  context: BenchContext,
  tag: string,
  commands: HyperfineCommand[],
  options: { runs: number; warmups: number },
): Promise<{ argv: string[]; rows: HyperfineRow[] }> {
  const jsonPath = join(context.scratch, `hyperfine-${tag}.json`);
  const argv = hyperfineArgv(context, commands, { ...options, jsonPath });
  const result = await run(argv, { stdout: "null" });
  if (result.code !== 0) {
    throw new Error(
      `hyperfine failed with exit status ${result.code}: ${
        tail(result.stderr)
      }`,
    );
  }
  const json: HyperfineJson = JSON.parse(Deno.readTextFileSync(jsonPath));
  const rows = json.results.map((entry, index) => ({
    label: commands[index].label,
    mean: entry.mean * 1000,
    stddev: (entry.stddev ?? 0) * 1000,
    median: entry.median * 1000,
    min: entry.min * 1000,
    max: entry.max * 1000,
    user: entry.user * 1000,
    system: entry.system * 1000,
    runs: entry.times.length,
  }));
  return { argv, rows };
}
