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
/** Without a limit, one spinning thread should get well over the limit. */
const UNLIMITED_MIN_SHARE = 0.75;

interface Burn {
  /** CPU time over wall time, where 1 is one whole CPU. */
  share: number;
}

/** Runs cpuburn and measures the cgroup's CPU time across it. */
async function burn(shell: ContainerSession): Promise<Burn> {
  const paths = shell.cgroupPaths();
  const startNs = readCpuUsageNs(paths);
  const startMs = performance.now();
  const result = await shell.exec(`cpuburn ${BURN_SECONDS}`, 30_000);
  const wallMs = performance.now() - startMs;
  const cpuNs = readCpuUsageNs(paths) - startNs;
  if (result.status !== 0) {
    throw new DemoError(`cpuburn failed with status ${result.status}`);
  }
  return { share: cpuNs / 1e6 / wallMs };
}

async function measure(
  ctx: ScenarioContext,
  base: string,
  runArgs: string[],
): Promise<Burn> {
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
  const result = await burn(shell);
  await ctx.stopContainer(shell);
  return result;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

async function run(ctx: ScenarioContext): Promise<void> {
  const free = await measure(ctx, "cpu-free", []);
  const limited = await measure(ctx, "cpu-half", [
    "--cpus",
    String(LIMIT_CPUS),
  ]);

  ctx.out.line();
  const bars = renderBars(
    [
      {
        label: "without a limit",
        fraction: free.share,
        text: percent(free.share),
      },
      {
        label: `--cpus ${LIMIT_CPUS}`,
        fraction: limited.share,
        text: percent(limited.share),
      },
    ],
    40,
    LIMIT_CPUS,
    ctx.out.styled,
  );
  for (const line of bars) ctx.out.line(line);
  ctx.out.line();

  ctx.check(
    free.share >= UNLIMITED_MIN_SHARE,
    `without a limit cpuburn gets over ${
      percent(UNLIMITED_MIN_SHARE)
    } of a CPU`,
    percent(free.share),
  );
  const offBy = Math.abs(limited.share - LIMIT_CPUS) * 100;
  ctx.check(
    offBy <= TOLERANCE_POINTS,
    `with --cpus ${LIMIT_CPUS} it gets ${
      percent(LIMIT_CPUS)
    } ± ${TOLERANCE_POINTS} points`,
    `${percent(limited.share)}, ${offBy.toFixed(1)} points off`,
  );
  ctx.figure = `${percent(limited.share)} with --cpus ${LIMIT_CPUS}, ${
    percent(free.share)
  } without`;
}

export const cpu: Scenario = {
  name: "cpu",
  summary: `cpuburn with and without --cpus ${LIMIT_CPUS}`,
  run,
};
