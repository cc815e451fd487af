/**
 * Parsing the `--log-level debug` output of tscontainer into steps and
 * events, and aggregating many starts into median durations.
 *
 * A line reads `   51.1ms debug init: set hostname hostname=h1 took=0.1ms`:
 * the time since the runtime's start, the level, the component, the message
 * and `key=value` fields. A line with `took=` ends a step that began `took`
 * earlier; a line without it is an event (`execve`, `container exited`).
 */
import { median } from "./stats.ts";

export interface LogLine {
  /** Milliseconds since the runtime's log origin. */
  atMs: number;
  component: string;
  message: string;
  /** Step duration, for lines with `took=`. */
  tookMs?: number;
}

const LINE =
  /^\s*(\d+(?:\.\d+)?)ms (?:error|warn|info|debug)\s+([\w.-]+): (.*)$/;
const FIRST_FIELD = /\s[A-Za-z][\w.-]*=/;
const TOOK = /(?:^|\s)took=(\d+(?:\.\d+)?)ms(?:\s|$)/;

/** Parses the log lines in `stderr`; other lines are skipped. */
export function parseLog(stderr: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of stderr.split("\n")) {
    const match = text.match(LINE);
    if (!match) continue;
    const rest = match[3];
    const fieldsAt = rest.search(FIRST_FIELD);
    const message = fieldsAt < 0 ? rest : rest.slice(0, fieldsAt);
    const took = rest.match(TOOK);
    lines.push({
      atMs: Number(match[1]),
      component: match[2],
      message: message.trim(),
      tookMs: took ? Number(took[1]) : undefined,
    });
  }
  return lines;
}

/** Returns the step's key: component and message, such as `init: mount /proc`. */
export function stepKey(line: LogLine): string {
  return `${line.component}: ${line.message}`;
}

/** One step of one start; repeated lines of the same key are summed. */
interface StartStep {
  key: string;
  startMs: number;
  tookMs: number;
  repeats: number;
  depth: number;
}

interface TimedLine {
  key: string;
  component: string;
  index: number;
  inInit: boolean;
  start: number;
  end: number;
}

/**
 * Returns true when `outer` encloses `inner`. The step helper logs a step's
 * line when the step ends. So an enclosing step runs in the same process
 * and belongs to another component, such as a `runtime:` step around
 * `cgroup:` steps. It logs its line after the inner one, with no line of its
 * own component in between, and starts no later. The 0.05 ms allows for
 * timestamps rounded to 0.1 ms.
 */
function encloses(outer: TimedLine, inner: TimedLine, all: TimedLine[]) {
  const between = all.slice(inner.index + 1, outer.index);
  return outer.inInit === inner.inInit &&
    outer.component !== inner.component &&
    outer.index > inner.index &&
    outer.start <= inner.start + 0.05 &&
    !between.some((line) => line.component === outer.component);
}

/**
 * Turns one start's lines into steps in order of their start. A step's
 * depth is the number of other steps that enclose it, such as
 * `cgroup mkdir` inside `create cgroup`.
 */
export function stepsOf(lines: LogLine[]): StartStep[] {
  const timed: TimedLine[] = lines.filter((line) => line.tookMs !== undefined)
    .map((line, index) => ({
      key: stepKey(line),
      component: line.component,
      index,
      inInit: line.component === "init",
      start: line.atMs - line.tookMs!,
      end: line.atMs,
    }));
  const steps = new Map<string, StartStep>();
  for (const step of timed) {
    const depth = timed.filter((other) => encloses(other, step, timed)).length;
    const known = steps.get(step.key);
    if (known) {
      known.tookMs += step.end - step.start;
      known.repeats += 1;
    } else {
      steps.set(step.key, {
        key: step.key,
        startMs: step.start,
        tookMs: step.end - step.start,
        repeats: 1,
        depth,
      });
    }
  }
  return [...steps.values()].sort((a, b) => a.startMs - b.startMs);
}

/** A step's medians over many starts. */
export interface StepSummary {
  key: string;
  medianStartMs: number;
  medianTookMs: number;
  minTookMs: number;
  maxTookMs: number;
  /** Lines per start (such as 5 for one `cgroup mkdir` per hierarchy). */
  repeats: number;
  depth: number;
  /** Starts in which the step appeared. */
  seen: number;
}

/** Aggregates the steps of many starts into medians, in start order. */
export function summarizeSteps(starts: LogLine[][]): StepSummary[] {
  const byKey = new Map<string, StartStep[]>();
  for (const lines of starts) {
    for (const step of stepsOf(lines)) {
      const list = byKey.get(step.key) ?? [];
      list.push(step);
      byKey.set(step.key, list);
    }
  }
  const summaries = [...byKey.entries()].map(([key, list]) => {
    const took = list.map((step) => step.tookMs);
    return {
      key,
      medianStartMs: median(list.map((step) => step.startMs)),
      medianTookMs: median(took),
      minTookMs: Math.min(...took),
      maxTookMs: Math.max(...took),
      repeats: Math.round(median(list.map((step) => step.repeats))),
      depth: Math.round(median(list.map((step) => step.depth))),
      seen: list.length,
    };
  });
  // Starts within 0.15 ms count as equal after rounding, so that an
  // enclosing step comes before the first step inside it.
  return summaries.sort((a, b) =>
    Math.abs(a.medianStartMs - b.medianStartMs) < 0.15
      ? a.depth - b.depth
      : a.medianStartMs - b.medianStartMs
  );
}
