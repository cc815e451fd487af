/**
 * `tscontainer stats`: memory, CPU and pids usage of running containers,
 * refreshed like `docker stats`.
 */
import { RuntimeError } from "../errors.ts";
import {
  type CgroupUsage,
  ContainerCgroup,
  formatBytes,
  readCgroupUsage,
} from "../cgroup/mod.ts";
import {
  type ContainerState,
  isLive,
  listLiveStates,
  readState,
} from "../state/store.ts";

export interface StatsOptions {
  /** Refreshes until interrupted when true, prints one sample when false. */
  stream: boolean;
  format: "table" | "json";
  /** Time between samples, over which CPU % is measured. Default 1000 ms. */
  intervalMs?: number;
}

const DEFAULT_INTERVAL_MS = 1_000;

/** A container whose cgroup is sampled. */
interface Target {
  name: string;
  cgroup: ContainerCgroup;
}

/** A usage sample with the time it was taken. */
export interface UsageSample {
  usage: CgroupUsage;
  /** `performance.now()` right after the usage was read. */
  takenMs: number;
}

/** One line of output. The JSON format prints these fields. */
export interface StatsRow {
  name: string;
  /** CPU time over wall time in the interval, where 100 is one whole CPU. */
  cpuPercent: number;
  memoryUsageBytes: number;
  /** The cgroup's memory limit, or the host's memory when it has none. */
  memoryLimitBytes: number;
  memoryPercent: number;
  pids: number;
  /** The pids limit, or null when unlimited. */
  pidsLimit: number | null;
}

function targetOf(state: ContainerState): Target | undefined {
  if (!state.cgroupPaths) return undefined;
  return {
    name: state.name,
    cgroup: ContainerCgroup.fromPaths(state.cgroupPaths),
  };
}

/**
 * Resolves named containers to their cgroups.
 *
 * @throws {RuntimeError} naming a container that is unknown, stopped, or
 * still starting.
 */
function resolveTargets(names: string[]): Target[] {
  return names.map((name) => {
    const state = readState(name);
    if (!isLive(name)) {
      throw new RuntimeError(
        `container ${JSON.stringify(name)} is not running`,
        {
          hint: "list running containers with `tscontainer ps`",
        },
      );
    }
    const target = targetOf(state);
    if (!target) {
      throw new RuntimeError(
        `container ${JSON.stringify(name)} has no cgroup yet`,
        { hint: "it is still starting, so try again in a moment" },
      );
    }
    return target;
  });
}

/** Samples each target, leaving out containers whose cgroup is gone because they ended. */
function sampleAll(targets: Target[]): Map<string, UsageSample> {
  const samples = new Map<string, UsageSample>();
  for (const target of targets) {
    try {
      const usage = readCgroupUsage(target.cgroup.paths);
      samples.set(target.name, { usage, takenMs: performance.now() });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return samples;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

/** Builds the row of one container from two samples taken an interval apart. */
export function buildRow(
  name: string,
  before: UsageSample,
  after: UsageSample,
  hostMemoryBytes: number,
): StatsRow {
  const { usage } = after;
  const cpuNs = usage.cpuUsageNs - before.usage.cpuUsageNs;
  const wallNs = (after.takenMs - before.takenMs) * 1e6;
  const memoryLimitBytes = usage.memoryLimitBytes ?? hostMemoryBytes;
  return {
    name,
    cpuPercent: percent(Math.max(cpuNs, 0), wallNs),
    memoryUsageBytes: usage.memoryUsageBytes,
    memoryLimitBytes,
    memoryPercent: percent(usage.memoryUsageBytes, memoryLimitBytes),
    pids: usage.pids,
    pidsLimit: usage.pidsLimit ?? null,
  };
}

const HEADER = ["NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS / LIMIT"];

function tableCells(row: StatsRow): string[] {
  return [
    row.name,
    `${row.cpuPercent.toFixed(2)}%`,
    `${formatBytes(row.memoryUsageBytes)} / ${
      formatBytes(row.memoryLimitBytes)
    }`,
    `${row.memoryPercent.toFixed(2)}%`,
    `${row.pids} / ${row.pidsLimit ?? "max"}`,
  ];
}

/** Renders rows as a table with a header, columns padded to line up. */
export function formatStatsTable(rows: StatsRow[]): string {
  const lines = [HEADER, ...rows.map(tableCells)];
  const widths = HEADER.map((_, column) =>
    Math.max(...lines.map((cells) => cells[column].length))
  );
  return lines.map((cells) =>
    cells.map((cell, column) =>
      column === cells.length - 1 ? cell : cell.padEnd(widths[column])
    ).join("   ")
  ).join("\n");
}

/** Renders rows as JSON Lines: one object per container. */
export function formatStatsJson(rows: StatsRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join("\n");
}

const CLEAR_SCREEN = "\x1b[2J\x1b[H";

function printRows(rows: StatsRow[], options: StatsOptions): void {
  if (options.format === "json") {
    // deno-lint-ignore no-console
    if (rows.length > 0) console.log(formatStatsJson(rows));
    return;
  }
  const clear = options.stream && Deno.stdout.isTerminal() ? CLEAR_SCREEN : "";
  // deno-lint-ignore no-console
  console.log(clear + formatStatsTable(rows));
}

function buildRows(
  before: Map<string, UsageSample>,
  after: Map<string, UsageSample>,
): StatsRow[] {
  const hostMemoryBytes = Deno.systemMemoryInfo().total;
  const rows: StatsRow[] = [];
  for (const [name, sample] of after) {
    const previous = before.get(name);
    if (previous) rows.push(buildRow(name, previous, sample, hostMemoryBytes));
  }
  return rows;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Prints the usage of the named containers, or of every running container
 * when `names` is empty. Each sample spans one interval, over which CPU % is
 * measured. With `stream`, it refreshes until interrupted, or until every
 * named container has ended. Returns the exit status, 0.
 *
 * @throws {RuntimeError} naming a container that is unknown or not running.
 */
export async function statsCommand(
  names: string[],
  options: StatsOptions,
): Promise<number> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const named = names.length > 0 ? resolveTargets(names) : undefined;
  const currentTargets = () =>
    named ?? listLiveStates().flatMap((state) => targetOf(state) ?? []);

  let before = sampleAll(currentTargets());
  while (true) {
    await sleep(intervalMs);
    const after = sampleAll(currentTargets());
    printRows(buildRows(before, after), options);
    if (!options.stream || (named && after.size === 0)) return 0;
    before = after;
  }
}
