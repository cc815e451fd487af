/**
 * Pids limit: spawner forks more processes than --pids-limit allows, fork
 * fails at the limit, and the shell can still start commands afterwards.
 */
import { readPidsLimit, readPidsRejections } from "../cgroup.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import type { ContainerSession } from "../session.ts";

const LIMIT = 20;
const REQUEST = 40;
/** The shell (PID 1) and spawner itself count against the limit too. */
const OTHER_PROCESSES = 2;

/** Runs spawner and returns how many processes it started. */
async function checkSpawner(
  ctx: ScenarioContext,
  shell: ContainerSession,
): Promise<number | undefined> {
  const spawner = await shell.exec(`spawner ${REQUEST} 1`);
  const started = spawner.stdout.join("\n").match(/started (\d+) of/);
  const count = started ? Number(started[1]) : undefined;
  ctx.check(
    spawner.status === 1,
    "spawner exits 1 because a fork failed",
    `exit status ${spawner.status}`,
  );
  const room = LIMIT - OTHER_PROCESSES;
  ctx.check(
    count !== undefined && count <= room,
    `at most ${room} of its ${REQUEST} children started`,
    `started ${count ?? "?"} of ${REQUEST}`,
  );
  const rejections = readPidsRejections(shell.cgroupPaths());
  ctx.check(
    rejections >= 1,
    "the cgroup counts forks rejected at the limit",
    `pids.events max ${rejections}`,
  );
  return count;
}

async function run(ctx: ScenarioContext): Promise<void> {
  const shell = await ctx.startContainer({
    name: ctx.containerName("pids"),
    hostname: "demo-pids",
    runArgs: ["--pids-limit", String(LIMIT)],
  });
  const limit = readPidsLimit(shell.cgroupPaths());
  ctx.check(
    limit === LIMIT,
    `the cgroup's pids limit is ${LIMIT}`,
    `${limit ?? "max"}`,
  );

  const count = await checkSpawner(ctx, shell);
  ctx.figure = `fork failed after ${
    count ?? "?"
  } of ${REQUEST} processes, limit ${LIMIT}`;

  const after = await shell.exec("ps");
  ctx.check(
    after.status === 0 && after.stdout.some((line) => /^\s*1\s/.test(line)),
    "the shell still starts commands afterwards",
    `ps exited with status ${after.status} and listed ${
      after.stdout.length - 1
    } processes`,
  );
  await ctx.stopContainer(shell);
}

export const pids: Scenario = {
  name: "pids",
  summary: `spawner stopped at --pids-limit ${LIMIT}, shell still works`,
  run,
};
