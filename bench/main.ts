/**
 * `deno task bench`: tscontainer side by side with runc, bwrap, unshare(1)
 * and podman on the same rootfs, written to docs/BENCHMARKS.md.
 *
 * Needs root. Everything the run creates is named `tscbench-<pid>-...` or
 * lives in `.bench/run-<pid>/`, and is removed at the end, also after a
 * failure or Ctrl-C.
 */
import { dirname, join } from "node:path";
import { ensureRootfs } from "../rootfs/usr/src/tscontainer/build.ts";
import { benchAnatomy } from "./anatomy.ts";
import { Cleanup } from "./cleanup.ts";
import { benchP4 } from "./concurrency.ts";
import type { BenchContext } from "./context.ts";
import { REPO, ROOTFS, SCRATCH_ROOT, tscontainerCommand } from "./context.ts";
import { describeMachine } from "./machine.ts";
import { benchP3 } from "./memory.ts";
import {
  BENCH_IDS,
  BenchUsageError,
  parseBenchArgs,
  USAGE,
} from "./options.ts";
import type { BenchId, BenchOptions } from "./options.ts";
import { detectPeers, PEER_NAMES } from "./peers.ts";
import { progress } from "./progress.ts";
import { run, tail } from "./process.ts";
import { renderReport } from "./report.ts";
import type { BenchResults } from "./results.ts";
import { benchP1, benchP2 } from "./startup.ts";
import { verdict } from "./stats.ts";
import { checkTargets } from "./targets.ts";
import { benchP5 } from "./throughput.ts";
import { benchTimeline } from "./timeline.ts";

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function write(stream: typeof Deno.stdout | typeof Deno.stderr, text: string) {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

/** Runs one benchmark and stores its result, or its error. */
async function runBench(
  id: BenchId,
  context: BenchContext,
  results: BenchResults,
): Promise<void> {
  switch (id) {
    case "P1":
      results.P1 = await benchP1(context);
      break;
    case "P2":
      results.P2 = await benchP2(context);
      break;
    case "P3":
      results.P3 = await benchP3(context);
      break;
    case "P4":
      results.P4 = await benchP4(context);
      break;
    case "P5":
      results.P5 = await benchP5(context);
      break;
    case "timeline":
      results.timeline = await benchTimeline(context);
      results.anatomy = await benchAnatomy(context);
      break;
  }
}

async function createContext(options: BenchOptions): Promise<BenchContext> {
  const cleanup = new Cleanup();
  const scratch = join(SCRATCH_ROOT, `run-${Deno.pid}`);
  Deno.mkdirSync(scratch, { recursive: true });
  cleanup.trackScratchDir(scratch);

  await ensureRootfs(ROOTFS);
  const peers = await detectPeers();
  for (const name of PEER_NAMES) {
    const peer = peers[name];
    if (peer.missing) {
      progress(
        `skipping ${name}: ${peer.missing}; install it with: ${peer.install}`,
      );
    }
  }
  return {
    options,
    scratch,
    tscontainer: tscontainerCommand(options.tscontainer),
    peers,
    cleanup,
  };
}

let cleanupRun: Promise<void> | undefined;

/** Runs cleanup once, whether the run ends, fails or is interrupted. */
function cleanUp(context: BenchContext, results: BenchResults): Promise<void> {
  cleanupRun ??= (async () => {
    progress("cleaning up");
    results.cleanup = await context.cleanup.run({
      runc: context.peers.runc.path,
      podman: context.peers.podman.path,
    });
  })();
  return cleanupRun;
}

function onInterrupt(context: BenchContext, results: BenchResults): void {
  const handler = async () => {
    progress("interrupted: stopping containers and cleaning up");
    await cleanUp(context, results);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}

/**
 * Formats the report with `deno fmt`, so the repository's format check
 * passes on it. A failure only costs the formatting, so it is reported and
 * the run goes on.
 */
async function formatReport(path: string): Promise<void> {
  const argv = [Deno.execPath(), "fmt", "--quiet", path];
  const result = await run(argv, { duringShutdown: true });
  if (result.code !== 0) {
    progress(`deno fmt ${path} failed: ${tail(result.stderr)}`);
  }
}

function printTargets(results: BenchResults): void {
  for (const check of checkTargets(results)) {
    progress(
      `${check.id} ${check.target}: ${check.measured}, ${verdict(check.holds)}`,
    );
  }
}

async function bench(options: BenchOptions): Promise<number> {
  const started = performance.now();
  const context = await createContext(options);
  const results: BenchResults = {
    options,
    machine: await describeMachine(context),
    errors: {},
    durationSeconds: 0,
    loadAtEnd: "",
  };
  onInterrupt(context, results);
  try {
    for (const id of BENCH_IDS.filter((id) => options.only.has(id))) {
      try {
        await runBench(id, context, results);
      } catch (error) {
        results.errors[id] = error instanceof Error
          ? error.message
          : String(error);
        progress(`${id} failed: ${results.errors[id]}`);
      }
    }
  } finally {
    await cleanUp(context, results);
  }
  results.durationSeconds = (performance.now() - started) / 1000;
  results.loadAtEnd = Deno.loadavg().map((load) => load.toFixed(2)).join(", ");

  const output = join(REPO, options.output);
  Deno.mkdirSync(dirname(output), { recursive: true });
  Deno.writeTextFileSync(output, renderReport(results));
  await formatReport(output);
  printTargets(results);
  progress(`report written to ${output}`);
  const failed = Object.keys(results.errors).length > 0 ||
    (results.cleanup?.failures.length ?? 0) > 0;
  return failed ? EXIT_FAILURE : 0;
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(args);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    write(Deno.stderr, `bench: ${error.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (!options) {
    write(Deno.stdout, USAGE);
    return 0;
  }
  if (Deno.uid() !== 0) {
    write(
      Deno.stderr,
      "bench: containers need root: run `sudo deno task bench`\n",
    );
    return EXIT_FAILURE;
  }
  return await bench(options);
}

Deno.exit(await main(Deno.args));
