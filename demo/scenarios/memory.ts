/**
 * Memory limit: memhog allocates far more than --memory allows, and the
 * kernel's OOM killer stops it at the limit. The demo samples the cgroup's
 * memory use meanwhile and draws it against the limit.
 */
import { basename } from "node:path";
import {
  memoryUsageFile,
  readMemoryLimit,
  readMemoryPeak,
  readMemoryUsage,
  readOomKills,
} from "../cgroup.ts";
import { renderMemoryChart } from "../chart.ts";
import type { MemorySample } from "../chart.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import type { ContainerSession, ExecResult } from "../session.ts";
import { sleep } from "../timing.ts";

const MIB = 1024 * 1024;
const LIMIT_MIB = 64;
const REQUEST_MIB = 256;
const STEP_MIB = 4;
const SAMPLE_INTERVAL_MS = 20;
/** Sampling goes on this long after memhog ends, to show the drop. */
const TAIL_MS = 200;
/** Exit status of a process killed by SIGKILL, as the shell reports it. */
const SIGKILL_STATUS = 128 + 9;

type Paths = Record<string, string>;

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** Runs memhog while sampling the cgroup's memory use every SAMPLE_INTERVAL_MS. */
async function runHog(
  shell: ContainerSession,
  paths: Paths,
): Promise<ExecResult & { samples: MemorySample[] }> {
  const samples: MemorySample[] = [];
  const start = performance.now();
  const take = () =>
    samples.push({
      ms: performance.now() - start,
      bytes: readMemoryUsage(paths),
    });
  take();
  const timer = setInterval(take, SAMPLE_INTERVAL_MS);
  try {
    const command = `memhog ${REQUEST_MIB} ${STEP_MIB}`;
    const result = await shell.exec(command, 30_000);
    await sleep(TAIL_MS);
    return { ...result, samples };
  } finally {
    clearInterval(timer);
  }
}

function checkLimitWritten(ctx: ScenarioContext, paths: Paths): void {
  const limit = readMemoryLimit(paths);
  ctx.check(
    limit === LIMIT_MIB * MIB,
    `the cgroup's memory limit is ${LIMIT_MIB} MiB`,
    limit === undefined ? "no limit" : mib(limit),
  );
}

function checkKilled(ctx: ScenarioContext, paths: Paths, hog: ExecResult) {
  const lastLine = JSON.stringify(hog.stdout.at(-1) ?? "");
  ctx.check(
    hog.status === SIGKILL_STATUS,
    "memhog was killed with SIGKILL",
    `exit status ${hog.status}, last line ${lastLine}`,
  );
  const kills = readOomKills(paths);
  ctx.check(kills >= 1, "the cgroup counts an OOM kill", `oom_kill ${kills}`);
}

function checkPeak(
  ctx: ScenarioContext,
  paths: Paths,
  samples: MemorySample[],
) {
  const sampledPeak = Math.max(...samples.map((sample) => sample.bytes));
  const kernelPeak = readMemoryPeak(paths);
  const kernelText = kernelPeak === undefined
    ? ""
    : `, kernel peak ${mib(kernelPeak)}`;
  ctx.check(
    sampledPeak <= LIMIT_MIB * MIB,
    `memory use stayed within ${LIMIT_MIB} MiB`,
    `sampled peak ${mib(sampledPeak)}${kernelText}`,
  );
}

function printChart(
  ctx: ScenarioContext,
  shell: ContainerSession,
  samples: MemorySample[],
) {
  const file = basename(memoryUsageFile(shell.cgroupPaths()));
  ctx.out.line();
  ctx.out.line(
    `  ${file} of ${shell.name}, sampled every ${SAMPLE_INTERVAL_MS} ms (${samples.length} samples):`,
  );
  const width = Math.max(20, Math.min(64, ctx.out.columns - 20));
  const chart = renderMemoryChart(
    samples,
    LIMIT_MIB * MIB,
    width,
    ctx.out.styled,
  );
  for (const line of chart) ctx.out.line(`  ${line}`);
  ctx.out.line();
}

async function run(ctx: ScenarioContext): Promise<void> {
  const shell = await ctx.startContainer({
    name: ctx.containerName("mem"),
    hostname: "demo-mem",
    runArgs: ["--memory", `${LIMIT_MIB}m`],
  });
  const paths = shell.cgroupPaths();
  checkLimitWritten(ctx, paths);

  const hog = await runHog(shell, paths);
  const allocatedMib = hog.stdout.flatMap((line) =>
    line.match(/^holding (\d+) MiB$/)?.[1] ?? []
  );
  ctx.figure =
    `killed after holding ${
      allocatedMib.at(-1) ?? 0
    } MiB of ${REQUEST_MIB} MiB, ` +
    `limit ${LIMIT_MIB} MiB`;
  checkKilled(ctx, paths, hog);
  checkPeak(ctx, paths, hog.samples);
  printChart(ctx, shell, hog.samples);
  await ctx.stopContainer(shell);
}

export const memory: Scenario = {
  name: "memory",
  summary: `memhog stopped at --memory ${LIMIT_MIB}m`,
  run,
};
