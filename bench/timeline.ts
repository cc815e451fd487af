/**
 * The start-up timeline: tscontainer started many times with
 * `--log-level debug`, its steps summarized as medians, and its wall time
 * split into phases between the log's landmarks.
 */
import type { BenchContext } from "./context.ts";
import { containerName, tscontainerArgv } from "./context.ts";
import { MEMORY_LIMIT } from "./peer_commands.ts";
import { progress } from "./progress.ts";
import { run, tail } from "./process.ts";
import { summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";
import { parseLog, stepKey, summarizeSteps } from "./timeline_parse.ts";
import type { LogLine, StepSummary } from "./timeline_parse.ts";

export type NetworkMode = "none" | "bridge";

export interface PhaseSummary {
  name: string;
  summary: Summary;
}

export interface TimelineResult {
  mode: NetworkMode;
  command: string[];
  steps: StepSummary[];
  phases: PhaseSummary[];
  wall: Summary;
  failures: string[];
}

/**
 * Phases of a start, in the order the report lists them. The runtime's
 * setup and the init stage's rows overlap when the runtime starts the init
 * stage before it prepares the host.
 */
const PHASES = [
  "runtime start-up: Deno, module loading, argument parsing",
  "runtime setup, from its first step to its last step before execve",
  "init stage start-up: Deno and module loading, from its spawn to its first step",
  "init stage setup, from its first step to execve",
  "the command runs (/bin/true) and the runtime sees its exit",
  "teardown",
  "outside the log: process start before the log origin, exit after the last line",
  "from the runtime's log origin to execve",
] as const;

function atOf(lines: LogLine[], key: string): number | undefined {
  return lines.find((line) => stepKey(line) === key)?.atMs;
}

function stepsIn(lines: LogLine[], inInit: boolean): LogLine[] {
  return lines.filter((line) =>
    (line.component === "init") === inInit && line.tookMs !== undefined
  );
}

function firstStart(steps: LogLine[]): number | undefined {
  const starts = steps.map((line) => line.atMs - line.tookMs!);
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

/**
 * Measures one start's phases (see PHASES) from its landmarks: the first
 * and last runtime steps, the spawn of the init stage, the first init step,
 * execve, the container's exit and the last line. Returns undefined when a
 * landmark is missing.
 */
export function phasesOf(
  lines: LogLine[],
  wallMs: number,
): number[] | undefined {
  const runtimeSteps = stepsIn(lines, false);
  const execve = atOf(lines, "init: execve");
  const beforeExecve = runtimeSteps
    .filter((line) => execve !== undefined && line.atMs <= execve)
    .map((line) => line.atMs);
  const marks = {
    runtimeStart: firstStart(runtimeSteps),
    runtimeReady: beforeExecve.length > 0
      ? Math.max(...beforeExecve)
      : undefined,
    spawned: atOf(lines, "runtime: spawn init"),
    initStart: firstStart(stepsIn(lines, true)),
    execve,
    exited: atOf(lines, "runtime: container exited"),
    last: Math.max(...lines.map((line) => line.atMs)),
  };
  const times = Object.values(marks);
  if (times.some((time) => time === undefined || !Number.isFinite(time))) {
    return undefined;
  }
  const at = marks as Record<keyof typeof marks, number>;
  return [
    at.runtimeStart,
    at.runtimeReady - at.runtimeStart,
    at.initStart - at.spawned,
    at.execve - at.initStart,
    at.exited - at.execve,
    at.last - at.exited,
    wallMs - at.last,
    at.execve,
  ];
}

function argvFor(context: BenchContext, mode: NetworkMode): string[] {
  return tscontainerArgv(context, {
    name: containerName(context, `tl-${mode}`),
    network: mode,
    memory: MEMORY_LIMIT,
    logLevel: "debug",
    command: ["/bin/true"],
  });
}

interface ModeRuns {
  starts: LogLine[][];
  walls: number[];
  phases: number[][];
  failures: string[];
}

/**
 * Starts `/bin/true` with `--network none` and `--network bridge`
 * alternately, after warm-up starts, and summarizes each mode.
 */
export async function benchTimeline(
  context: BenchContext,
): Promise<TimelineResult[]> {
  const modes: NetworkMode[] = ["none", "bridge"];
  const { timelineStarts, warmups } = context.options.counts;
  progress(`timeline: ${timelineStarts} debug-log starts per network mode`);
  const runs = modes.map((): ModeRuns => ({
    starts: [],
    walls: [],
    phases: [],
    failures: [],
  }));
  for (let round = 0; round < warmups + timelineStarts; round++) {
    for (const [index, mode] of modes.entries()) {
      const result = await run(argvFor(context, mode), { stdout: "null" });
      const target = runs[index];
      if (result.code !== 0) {
        target.failures.push(
          `exit status ${result.code}: ${tail(result.stderr)}`,
        );
        continue;
      }
      if (round < warmups) continue;
      const lines = parseLog(result.stderr);
      target.starts.push(lines);
      target.walls.push(result.ms);
      const phases = phasesOf(lines, result.ms);
      if (phases) target.phases.push(phases);
    }
  }
  return modes.map((mode, index) => ({
    mode,
    command: argvFor(context, mode),
    steps: summarizeSteps(runs[index].starts),
    phases: PHASES.map((name, phase) => ({
      name,
      summary: summarize(runs[index].phases.map((list) => list[phase])),
    })),
    wall: summarize(runs[index].walls),
    failures: runs[index].failures,
  }));
}
