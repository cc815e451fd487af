/**
 * CPU limit: cpuburn spins one thread for a few seconds, once without a
 * limit and once with --cpus 0.5. The share of a CPU it got is the cgroup's
 * CPU time over the wall time, both measured by the demo.
 */
import { readCpuLimit, readCpuUsageNs } from "../cgroup.ts";
import { renderBars } from "../chart.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import { DemoError } from "../runtime.ts";
import type { ContainerSession } from "../session.ts";

const BURN_SECONDS = 3;
const LIMIT_CPUS = 0.5;
/** How far the measured share may be from the limit, in percentage points. */
const TOLERANCE_POINTS = 10;
/**
 * Without a limit, one spinning thread must get more than the limit and its
 * tolerance allow, or the comparison shows nothing. This is below one whole
 * CPU, so that other load on the host does not fail the check.
 */
const UNLIMITED_MIN_SHARE = LIMIT_CPUS + TOLERANCE_POINTS / 100;

/**
 * Runs cpuburn and returns the share of one CPU that the cgroup used across
 * it: its CPU time over the wall time, where 1 is one whole CPU.
 */
async function burn(shell: ContainerSession): Promise<number> {
  const paths = shell.cgroupPaths();
  const startNs = readCpuUsageNs(paths);
  const startMs = performance.now();
  const result = await shell.exec(`cpuburn ${BURN_SECONDS}`, 30_000);
  const wallMs = performance.now() - startMs;
  const cpuNs = readCpuUsageNs(paths) - startNs;
  if (result.status !== 0) {
    throw new DemoError(`cpuburn failed with status ${result.status}`);
  }
  return cpuNs / 1e6 / wallMs;
}

/** Starts a container with `runArgs`, checks its CPU limit, and burns. */
async function measure(
  ctx: ScenarioContext,
  base: string,
  runArgs: string[],
): Promise<number> {
  const shell = await ctx.startContainer({
    name: ctx.containerName(base),
    hostname: `demo-${base}`,
    runArgs,
  });
  const limit = readCpuLimit(shell.cgroupPaths());
  const expected = runArgs.length > 0 ? LIMIT_CPUS : undefined;
  ctx.check(
    limit === expected,
    `the cgroup's CPU limit is ${expected ?? "unset"}`,
    limit === undefined ? "no quota" : `quota of ${limit} CPU`,
  );
  const share = await burn(shell);
  await ctx.stopContainer(shell);
  return share;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function printBars(ctx: ScenarioContext, free: number, limited: number) {
  const bars = [
    { label: "without a limit", fraction: free, text: percent(free) },
    {
      label: `--cpus ${LIMIT_CPUS}`,
      fraction: limited,
      text: percent(limited),
    },
  ];
  ctx.out.line();
  for (const line of renderBars(bars, 40, LIMIT_CPUS, ctx.out.styled)) {
    ctx.out.line(line);
  }
  ctx.out.line();
}

async function run(ctx: ScenarioContext): Promise<void> {
  const free = await measure(ctx, "cpu-free", []);
  const limitArgs = ["--cpus", String(LIMIT_CPUS)];
  const limited = await measure(ctx, "cpu-half", limitArgs);
  printBars(ctx, free, limited);
  ctx.figure = `${percent(limited)} with --cpus ${LIMIT_CPUS}, ${
    percent(free)
  } without`;

  ctx.check(
    free > UNLIMITED_MIN_SHARE,
    `without a limit cpuburn gets over ${
      percent(UNLIMITED_MIN_SHARE)
    } of a CPU`,
    percent(free),
  );
  const offBy = Math.abs(limited - LIMIT_CPUS) * 100;
  ctx.check(
    offBy <= TOLERANCE_POINTS,
    `with --cpus ${LIMIT_CPUS} it gets ${percent(LIMIT_CPUS)} ` +
      `± ${TOLERANCE_POINTS} points`,
    `${percent(limited)}, ${offBy.toFixed(1)} points off`,
  );
}

export const cpu: Scenario = {
  name: "cpu",
  summary: `cpuburn with and without --cpus ${LIMIT_CPUS}`,
  run,
};
