/**
 * Cleanup: while a container with every feature runs, the demo finds its
 * traces on the host, which shows that the probes see them. Once it and
 * every other container of this run have ended, none of their traces is
 * left. Absence is checked through `ip`, /proc and the cgroup filesystem,
 * never by connecting to an address.
 */
import { findFreeLoopbackPort } from "../host.ts";
import { findUnownedNetworkTraces, probeTraces } from "../leftovers.ts";
import type { ContainerRecord, ContainerTraces } from "../leftovers.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import { listContainers } from "../runtime.ts";

/** How long a trace without a live owner must persist to count. */
const RECHECK_MS = 1_500;

/** Describes each trace that exists, such as "veth tscv1a2b3c4d". */
function describeTraces(
  record: ContainerRecord,
  traces: ContainerTraces,
): string[] {
  const found: string[] = [];
  if (traces.netns) found.push(`network namespace tsc-${record.name}`);
  if (traces.veth) found.push(`veth ${record.info?.network?.hostVeth}`);
  found.push(...traces.cgroupDirs.map((dir) => `cgroup ${dir}`));
  found.push(...traces.mounts.map((point) => `mount ${point}`));
  if (traces.stateDir) {
    found.push(`state directory /run/tscontainer/${record.name}`);
  }
  if (traces.dataDir) {
    found.push(`data directory /var/lib/tscontainer/${record.name}`);
  }
  found.push(...traces.listeners.map((port) => `listener on port ${port}`));
  return found;
}

/** Checks that the probes find each kind of trace of a running container. */
function checkPresent(
  ctx: ScenarioContext,
  record: ContainerRecord,
  traces: ContainerTraces,
  hostPort: number,
) {
  const cgroupCount = Object.keys(record.info?.cgroupPaths ?? {}).length;
  ctx.check(
    traces.netns,
    "while it runs, ip netns list has its namespace",
    `tsc-${record.name}`,
  );
  ctx.check(
    traces.veth === true,
    "ip link has its veth",
    `${record.info?.network?.hostVeth}`,
  );
  ctx.check(
    cgroupCount > 0 && traces.cgroupDirs.length === cgroupCount,
    "the cgroup filesystem has its cgroups",
    `${traces.cgroupDirs.length} directories named tscontainer/${record.name}`,
  );
  ctx.check(
    traces.mounts.length > 0,
    "/proc/self/mountinfo has its mounts",
    traces.mounts.join(", ") || "none",
  );
  ctx.check(
    traces.stateDir && traces.dataDir,
    "its state and data directories exist",
    `state ${traces.stateDir}, data ${traces.dataDir}`,
  );
  ctx.check(
    traces.listeners.includes(hostPort),
    "/proc/net/tcp has the published port's listener",
    `port ${hostPort}`,
  );
}

/** Limits and a published port, so that every kind of trace exists. */
const FULL_RUN_ARGS = [
  "--memory",
  "32m",
  "--cpus",
  "0.5",
  "--pids-limit",
  "10",
];

/** Runs a container with every feature, checks its traces, and stops it. */
async function checkProbesSeeTraces(ctx: ScenarioContext): Promise<void> {
  const hostPort = findFreeLoopbackPort();
  const name = ctx.containerName("clean");
  const shell = await ctx.startContainer({
    name,
    hostname: "demo-clean",
    runArgs: [...FULL_RUN_ARGS, "-p", `127.0.0.1:${hostPort}:7000`],
  });
  const record = { name, info: shell.info };
  checkPresent(ctx, record, await probeTraces(record), hostPort);
  await ctx.stopContainer(shell);
}

/** Checks every container of this run; returns how many left nothing. */
async function checkNothingLeft(ctx: ScenarioContext): Promise<number> {
  let clean = 0;
  for (const record of ctx.run.started) {
    const left = describeTraces(record, await probeTraces(record));
    if (left.length === 0) clean++;
    ctx.check(
      left.length === 0,
      `nothing of ${record.name} is left`,
      left.join(", ") || "none found",
    );
  }
  const unowned = await findUnownedNetworkTraces(
    () => listContainers(ctx.run.runtime),
    RECHECK_MS,
  );
  ctx.check(
    unowned.length === 0,
    "no tsc- namespace or tscv veth is left without a running container",
    unowned.join(", ") || "none found",
  );
  return clean;
}

async function run(ctx: ScenarioContext): Promise<void> {
  await checkProbesSeeTraces(ctx);
  const clean = await checkNothingLeft(ctx);
  ctx.figure =
    `${clean} of ${ctx.run.started.length} containers left nothing behind`;
}

export const cleanup: Scenario = {
  name: "cleanup",
  summary: "nothing of any container is left on the host",
  run,
};
