/**
 * Teardown of a container cgroup: kill every process left in it, then remove
 * its directories.
 */
import { RuntimeError } from "../errors.ts";
import { type ControllerDir, controllerDir, UNIFIED_KEY } from "./hierarchy.ts";
import {
  describeFsError,
  log,
  readPids,
  removeCgroupDir,
  sleep,
} from "./files.ts";
import { isFrozenV1, setFreezerStateV1 } from "./v1.ts";
import { isFrozenV2, killAllV2, setFrozenV2 } from "./v2.ts";

const POLL_MS = 10;
const FREEZE_TIMEOUT_MS = 1_000;
const KILL_TIMEOUT_MS = 10_000;
const RMDIR_TIMEOUT_MS = 5_000;

/** Lists the PIDs in any of `dirs`, each once. */
export function listCgroupPids(dirs: string[]): number[] {
  return [...new Set(dirs.flatMap((dir) => readPids(dir)))];
}

function setFrozen(freezer: ControllerDir, frozen: boolean): boolean {
  return freezer.version === 1
    ? setFreezerStateV1(freezer.dir, frozen ? "FROZEN" : "THAWED")
    : setFrozenV2(freezer.dir, frozen);
}

/** Freezes the cgroup and waits until it is frozen. Returns false when it has no freezer file. */
async function freeze(freezer: ControllerDir): Promise<boolean> {
  if (!setFrozen(freezer, true)) return false;

  const isFrozen = freezer.version === 1 ? isFrozenV1 : isFrozenV2;
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  while (!isFrozen(freezer.dir)) {
    if (Date.now() > deadline) {
      // A task in uninterruptible sleep can keep it FREEZING, so kill anyway.
      log.warn("cgroup did not freeze in time", { dir: freezer.dir });
      break;
    }
    await sleep(POLL_MS);
  }
  return true;
}

function sendKill(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch (error) {
    // Deno reports ESRCH, a process that has exited, as NotFound.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Sends SIGKILL to every process in `dirs`. The cgroup is frozen meanwhile,
 * so that no process forks or exits, which makes a PID read from cgroup.procs
 * safe to signal until the thaw.
 */
async function killPass(
  paths: Record<string, string>,
  dirs: string[],
): Promise<void> {
  const freezer = controllerDir(paths, "freezer");
  const frozen = freezer !== undefined && await freeze(freezer);
  try {
    for (const pid of listCgroupPids(dirs)) sendKill(pid);
  } finally {
    if (frozen) setFrozen(freezer, false);
  }
}

/**
 * Kills every process in a container's cgroups and waits until they are
 * empty: v2 `cgroup.kill` where present, then, or otherwise, rounds of
 * freeze, SIGKILL each PID, thaw.
 *
 * @throws {RuntimeError} when processes remain after 10 seconds.
 */
export async function killAllProcesses(
  paths: Record<string, string>,
): Promise<void> {
  const dirs = Object.values(paths);
  const unified = paths[UNIFIED_KEY];
  if (unified !== undefined && readPids(unified).length > 0) {
    killAllV2(unified);
  }

  const deadline = Date.now() + KILL_TIMEOUT_MS;
  for (let pids = listCgroupPids(dirs); pids.length > 0;) {
    if (Date.now() > deadline) {
      throw new RuntimeError(
        `timed out killing the processes left in cgroup ${dirs[0]}: PIDs ${
          pids.join(", ")
        } remain after ${KILL_TIMEOUT_MS / 1000} s`,
        {
          hint:
            "check their state in /proc/<pid>/status (D means stuck in the kernel)",
        },
      );
    }
    await killPass(paths, dirs);
    await sleep(POLL_MS);
    pids = listCgroupPids(dirs);
  }
}

/**
 * Removes a cgroup directory, retrying while the kernel still reports it as
 * busy with exiting processes. An absent directory counts as removed.
 *
 * @throws {RuntimeError} naming the directory when it cannot be removed.
 */
export async function removeDirWhenEmpty(dir: string): Promise<void> {
  const deadline = Date.now() + RMDIR_TIMEOUT_MS;
  while (true) {
    try {
      removeCgroupDir(dir);
      return;
    } catch (error) {
      const busy = error instanceof Deno.errors.Busy;
      if (!busy || Date.now() > deadline) {
        throw new RuntimeError(
          `failed to remove cgroup ${dir}: ${describeFsError(error)}`,
          {
            hint:
              "kill the processes listed in its cgroup.procs, then rmdir it",
            cause: error,
          },
        );
      }
    }
    await sleep(POLL_MS);
  }
}
