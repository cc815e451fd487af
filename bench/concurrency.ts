/**
 * P4: many networked containers started at once, each running `sleep 1`
 * after printing its address: wall time, failures and address collisions.
 */
import type { BenchContext } from "./context.ts";
import { containerName, NAME_PREFIX, tscontainerArgv } from "./context.ts";
import { MEMORY_LIMIT, podmanArgv } from "./peer_commands.ts";
import { hasPeer } from "./peers.ts";
import { ensurePodmanBridge, podmanRootfs } from "./podman.ts";
import { progress } from "./progress.ts";
import { LineReader, spawn, tail } from "./process.ts";
import { median } from "./stats.ts";

export const TSC_COUNTS = [1, 10, 20, 50];
export const PODMAN_COUNTS = [1, 20];
/** Seconds each container sleeps, which the overhead excludes. */
const SLEEP_SECONDS = 1;
/** Prints the container's IPv4 address on eth0, then sleeps. */
const COMMAND = [
  "/bin/sh",
  "-c",
  `ip -o -4 addr show dev eth0; exec sleep ${SLEEP_SECONDS}`,
];
const ADDRESS = /\sinet (\d+\.\d+\.\d+\.\d+)\//;
/** How long a container may take to print its address. */
const LINE_TIMEOUT_MS = 120_000;

/** One group of containers started at once. */
export interface GroupRun {
  wallMs: number;
  failures: string[];
  addresses: string[];
  /** Pairs of containers that held the same address at the same time. */
  collisions: number;
}

export interface ConcurrencyResult {
  label: string;
  count: number;
  command: string[];
  runs: GroupRun[];
  medianWallMs: number;
  /** (wall time − sleep) / count from the median wall time; NaN after a failure. */
  overheadMs: number;
  failures: number;
  /** Sum over the runs of `GroupRun.collisions`. */
  collisions: number;
}

/** One container's address and when it was seen, or why it failed. */
interface Outcome {
  address?: string;
  /** From the address line to the runtime's exit, in ms since the bench started. */
  heldFrom: number;
  heldUntil: number;
  error?: string;
}

async function finish(child: Deno.ChildProcess): Promise<Outcome> {
  const stderr = new Response(child.stderr).text();
  const lines = new LineReader(child.stdout);
  let first: string | undefined;
  try {
    first = await lines.next(LINE_TIMEOUT_MS);
  } catch {
    // No line in time: reported below as a missing address.
  }
  const heldFrom = performance.now();
  await lines.drain();
  const status = await child.status;
  const heldUntil = performance.now();
  if (status.code !== 0) {
    const error = `exit status ${status.code}: ${tail(await stderr)}`;
    return { heldFrom, heldUntil, error };
  }
  const match = first?.match(ADDRESS);
  if (!match) return { heldFrom, heldUntil, error: "no IPv4 address on eth0" };
  return { address: match[1], heldFrom, heldUntil };
}

/**
 * Counts pairs of containers that held the same address at the same time.
 * An address seen again after its first holder exited is a reuse, not a
 * collision.
 */
export function countCollisions(outcomes: Outcome[]): number {
  const held = outcomes.filter((outcome) => outcome.address !== undefined);
  let collisions = 0;
  for (const [index, one] of held.entries()) {
    for (const other of held.slice(index + 1)) {
      const overlap = one.heldFrom < other.heldUntil &&
        other.heldFrom < one.heldUntil;
      if (one.address === other.address && overlap) collisions += 1;
    }
  }
  return collisions;
}

/** Starts `argvs` all at once and waits for every one to exit. */
async function startGroup(argvs: string[][]): Promise<GroupRun> {
  const started = performance.now();
  const children = argvs.map((argv) => spawn(argv));
  const outcomes = await Promise.all(children.map(finish));
  const wallMs = performance.now() - started;
  return {
    wallMs,
    failures: outcomes.flatMap((outcome) => outcome.error ?? []),
    addresses: outcomes.flatMap((outcome) => outcome.address ?? []),
    collisions: countCollisions(outcomes),
  };
}

interface Group {
  label: string;
  count: number;
  argv: (index: number) => string[];
}

async function groups(context: BenchContext): Promise<Group[]> {
  const list: Group[] = TSC_COUNTS.map((count) => ({
    label: "tscontainer",
    count,
    argv: () =>
      tscontainerArgv(context, {
        name: containerName(context, `p4-${count}`),
        network: "bridge",
        memory: MEMORY_LIMIT,
        command: COMMAND,
      }),
  }));
  if (!hasPeer(context.peers, "podman")) return list;

  await ensurePodmanBridge(context);
  const rootfs = await podmanRootfs(context);
  let sequence = 0;
  for (const count of PODMAN_COUNTS) {
    list.push({
      label: "podman",
      count,
      argv: () => {
        const name = `${NAME_PREFIX}-p4-podman-${++sequence}`;
        context.cleanup.trackPodman(name);
        return podmanArgv(context, { name, rootfs, command: COMMAND });
      },
    });
  }
  return list;
}

function summarizeGroup(group: Group, runs: GroupRun[]): ConcurrencyResult {
  const medianWallMs = median(runs.map((run) => run.wallMs));
  const collisions = runs.reduce((sum, run) => sum + run.collisions, 0);
  const failures = runs.reduce((sum, run) => sum + run.failures.length, 0);
  return {
    label: group.label,
    count: group.count,
    command: group.argv(0),
    runs,
    medianWallMs,
    // Failed starts end early, so the overhead means nothing then.
    overheadMs: failures > 0
      ? NaN
      : (medianWallMs - SLEEP_SECONDS * 1000) / group.count,
    failures,
    collisions,
  };
}

/**
 * P4: tscontainer at 1, 10, 20 and 50 containers at once, podman at 1 and
 * 20; every group size repeats, the runtimes alternating.
 */
export async function benchP4(
  context: BenchContext,
): Promise<ConcurrencyResult[]> {
  const list = await groups(context);
  const runs = list.map(() => [] as GroupRun[]);
  for (let round = 0; round < context.options.counts.concurrencyRuns; round++) {
    for (const [index, group] of list.entries()) {
      progress(`P4: ${group.count} × ${group.label} at once`);
      const argvs = Array.from(
        { length: group.count },
        (_, i) => group.argv(i),
      );
      runs[index].push(await startGroup(argvs));
    }
  }
  return list.map((group, index) => summarizeGroup(group, runs[index]));
}
