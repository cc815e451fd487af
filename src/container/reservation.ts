/**
 * Reserving a container name: its state directory under /run/tscontainer and
 * the lock that the runtime holds while the container exists.
 */
import { join } from "node:path";
import { ContainerCgroup } from "../cgroup/mod.ts";
import { RuntimeError } from "../errors.ts";
import { netnsNameOf, removeNetworkFromState } from "../network/mod.ts";
import { FileLock } from "../state/lock.ts";
import {
  dataDirOf,
  GLOBAL_LOCK,
  readStaleState,
  STATE_ROOT,
  stateDirOf,
} from "../state/store.ts";
import type { ContainerState } from "../state/store.ts";

export interface Reservation {
  name: string;
  dir: string;
  lock: FileLock;
  /** State left by a runtime that died, whose resources must be reclaimed. */
  stale?: ContainerState;
  /** True when the directory existed without a live owner. */
  reclaimed: boolean;
}

function nameInUse(name: string): RuntimeError {
  return new RuntimeError(
    `container name ${
      JSON.stringify(name)
    } is already in use by a running container`,
    { hint: "choose another --name, or stop that container first" },
  );
}

/** Attempts at the lock of an existing state directory. */
const LOCK_ATTEMPTS = 5;

/**
 * Takes the lock of an existing state directory, or returns undefined when a
 * live runtime holds it. A liveness probe holds it only for a moment, so a
 * failed attempt is retried a few times, 2 ms apart.
 */
function tryLockStale(path: string): FileLock | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; attempt <= LOCK_ATTEMPTS; attempt++) {
    const lock = FileLock.tryAcquire(path);
    if (lock) return lock;
    if (attempt < LOCK_ATTEMPTS) Atomics.wait(pause, 0, 0, 2);
  }
  return undefined;
}

/** Creates the directory or reports that it already existed. */
function makeStateDir(dir: string): boolean {
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}

/**
 * Creates the state directory of `name` and takes its lock. A directory
 * whose lock is free belongs to a runtime that died: it is taken over, and
 * its saved state is returned so the caller can reclaim what it left.
 * @throws {RuntimeError} when a running container has the name.
 */
export function reserveName(name: string): Reservation {
  Deno.mkdirSync(STATE_ROOT, { recursive: true, mode: 0o711 });
  const dir = stateDirOf(name);
  // The global lock orders this against a concurrent start of the same name,
  // which could otherwise see the directory before its lock is taken.
  const global = FileLock.acquire(GLOBAL_LOCK);
  try {
    const created = makeStateDir(dir);
    if (created) {
      // No other runtime can own a directory created under the global lock,
      // but a liveness probe (`ps`, `stats`) may take the lock for a moment.
      const lock = FileLock.acquire(join(dir, "lock"));
      return { name, dir, lock, reclaimed: false };
    }
    if (!Deno.statSync(dir).isDirectory) {
      throw new RuntimeError(`state path ${dir} is not a directory`, {
        hint: `remove it (rm ${dir}); tscontainer keeps its state there`,
      });
    }
    const lock = tryLockStale(join(dir, "lock"));
    if (!lock) throw nameInUse(name);
    return { name, dir, lock, stale: readStaleState(name), reclaimed: true };
  } finally {
    global.release();
  }
}

/** Removes the state directory, then releases its lock. */
export function releaseName(reservation: Reservation): void {
  Deno.removeSync(reservation.dir, { recursive: true });
  reservation.lock.release();
}

/**
 * Removes what a runtime that died left behind: its network namespace and
 * veth, its cgroups and its overlay data. The caller owns the reservation.
 */
export async function reclaimStale(reservation: Reservation): Promise<void> {
  const stale = reservation.stale;
  const name = reservation.name;
  // Without saved network state (the runtime died while preparing it), the
  // namespace and veth names still follow from the container name.
  const network = stale?.network ??
    { mode: "bridge", netns: netnsNameOf(name) };
  await removeNetworkFromState(name, reservation.dir, network);
  if (stale?.cgroupPaths) {
    await ContainerCgroup.fromPaths(stale.cgroupPaths).remove();
  }
  await Deno.remove(dataDirOf(name), { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  clearStateDir(reservation.dir);
}

/** Removes every file of a stale state directory but the held lock. */
function clearStateDir(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name !== "lock") {
      Deno.removeSync(join(dir, entry.name), { recursive: true });
    }
  }
}
