/**
 * The cgroup of one container: `.../tscontainer/<name>` in every hierarchy
 * it uses, with the container's limits written before any of its processes
 * exists.
 */
import { basename, dirname, isAbsolute, join } from "node:path";
import { RuntimeError } from "../errors.ts";
import {
  BASE_CONTROLLERS,
  chooseHierarchies,
  type Hierarchy,
  readLayout,
  requireControllerDir,
  UNIFIED_KEY,
} from "./hierarchy.ts";
import {
  type Placement,
  planPlacements,
  RUNTIME_DIR_NAME,
} from "./placement.ts";
import {
  describeFsError,
  log,
  makeCgroupDir,
  removeCgroupDir,
} from "./files.ts";
import { formatBytes, type ResourceLimits } from "./limits.ts";
import { writePidsLimit } from "./pids.ts";
import { killAllProcesses, removeDirWhenEmpty } from "./teardown.ts";
import { readOomKillsV1, writeCpuLimitV1, writeMemoryLimitV1 } from "./v1.ts";
import {
  enableControllers,
  readOomKillsV2,
  writeCpuLimitV2,
  writeMemoryLimitV2,
} from "./v2.ts";

export interface CgroupOptions {
  /** `--cgroup-parent`: a cgroup path from each hierarchy's root, which must exist. */
  parent?: string;
  /**
   * Tests: a directory used in place of `/`. /proc/self/mountinfo,
   * /proc/self/cgroup and the cgroup mounts are read below it.
   */
  root?: string;
  /**
   * Tests: called after each cgroup directory is created, where a fake
   * hierarchy adds the control files that the kernel would create.
   */
  afterMkdir?: (dir: string) => void;
  /**
   * Called with the planned paths before any directory is created, so the
   * runtime can record them: a runtime killed in the middle of `create()`
   * then leaves cgroups that a later cleanup can find.
   */
  beforeCreate?: (paths: Record<string, string>) => void;
}

/** The controllers a v2 hierarchy must enable for the container's cgroup. */
function controllersToEnable(hierarchy: Hierarchy): string[] {
  if (hierarchy.version === 1) return [];
  return BASE_CONTROLLERS.filter((c) => hierarchy.controllers.includes(c));
}

/** Creates the container's directory in one hierarchy and records it in `created`. */
function makeContainerDir(
  placement: Placement,
  created: string[],
  afterMkdir?: (dir: string) => void,
): void {
  const enable = controllersToEnable(placement.hierarchy);
  for (const dir of placement.ancestors) enableControllers(dir, enable);

  if (makeCgroupDir(placement.runtimeDir, true)) {
    afterMkdir?.(placement.runtimeDir);
  }
  if (enable.length > 0) enableControllers(placement.runtimeDir, enable);

  makeCgroupDir(placement.containerDir, false);
  created.push(placement.containerDir);
  afterMkdir?.(placement.containerDir);
}

/** Writes each requested limit. The kernel's defaults mean no limit. */
function writeLimits(
  paths: Record<string, string>,
  limits: ResourceLimits,
): void {
  if (limits.memoryBytes !== undefined) {
    const { version, dir } = requireControllerDir(paths, "memory");
    const write = version === 1 ? writeMemoryLimitV1 : writeMemoryLimitV2;
    write(dir, limits.memoryBytes);
  }
  if (limits.cpus !== undefined) {
    const { version, dir } = requireControllerDir(paths, "cpu");
    const write = version === 1 ? writeCpuLimitV1 : writeCpuLimitV2;
    write(dir, limits.cpus);
  }
  if (limits.pidsLimit !== undefined) {
    writePidsLimit(requireControllerDir(paths, "pids").dir, limits.pidsLimit);
  }
}

/** Removes the container directories of a failed setup, logging any that stay. */
function removeCreated(created: string[]): void {
  for (const dir of created.reverse()) {
    try {
      removeCgroupDir(dir);
    } catch (error) {
      log.warn("failed to remove cgroup after a failed setup", {
        dir,
        error: describeFsError(error),
      });
    }
  }
}

function asRuntimeError(error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  return new RuntimeError(
    `failed to set up the container cgroup: ${describeFsError(error)}`,
    { cause: error },
  );
}

/** Checks that each saved path is a container cgroup `.../tscontainer/<name>`. */
function checkContainerPaths(paths: Record<string, string>): void {
  const dirs = Object.values(paths);
  const names = new Set(dirs.map((dir) => basename(dir)));
  const valid = dirs.length > 0 && names.size === 1 &&
    dirs.every((dir) =>
      isAbsolute(dir) && basename(dirname(dir)) === RUNTIME_DIR_NAME
    );
  if (!valid) {
    // Rejecting them matters because remove() kills every process in them.
    throw new RuntimeError(
      `invalid container cgroup paths ${
        JSON.stringify(paths)
      }: expected absolute paths ending in ${RUNTIME_DIR_NAME}/<name>`,
      {
        hint:
          "the state file is damaged: kill the processes in these cgroups and remove them by hand",
      },
    );
  }
}

/** A container's cgroup in every hierarchy it uses. */
export class ContainerCgroup {
  /** Map from hierarchy key ("unified", or v1 controllers such as "memory") to directory. */
  readonly paths: Record<string, string>;
  /** The cgroup.procs file of each directory. */
  readonly procsFiles: string[];
  /**
   * The file of each directory that the init stage writes "0" to, to join:
   * `tasks` on v1 and `cgroup.procs` on v2. On v1, `tasks` moves only the
   * writing thread, which is enough because execve leaves only that thread.
   * It also skips the global lock that a cgroup.procs write takes, which
   * waits for an RCU grace period (12 to 22 ms on the build machine).
   * cgroup v2 keeps all threads of a process in one cgroup, so there it
   * must be cgroup.procs.
   */
  readonly joinFiles: string[];

  private constructor(paths: Record<string, string>) {
    this.paths = { ...paths };
    this.procsFiles = Object.values(paths).map((dir) =>
      join(dir, "cgroup.procs")
    );
    this.joinFiles = Object.entries(paths).map(([key, dir]) =>
      join(dir, key === UNIFIED_KEY ? "cgroup.procs" : "tasks")
    );
  }

  /**
   * Detects the hierarchies, creates `.../tscontainer/<name>` in each one
   * used, and writes the limits, reading each back. On failure, removes the
   * container directories it created.
   *
   * @throws {UsageError} when `options.parent` contains ".." or does not exist.
   * @throws {RuntimeError} naming the missing controller, or the directory or
   * file and value that failed.
   */
  static create(
    name: string,
    limits: ResourceLimits,
    options: CgroupOptions = {},
  ): ContainerCgroup {
    const created: string[] = [];
    try {
      const layout = readLayout(options.root);
      const hierarchies = chooseHierarchies(layout);
      const placements = planPlacements(hierarchies, name, options.parent);
      const paths = Object.fromEntries(
        placements.map((p) => [p.hierarchy.key, p.containerDir]),
      );
      options.beforeCreate?.(paths);
      for (const placement of placements) {
        makeContainerDir(placement, created, options.afterMkdir);
      }
      writeLimits(paths, limits);
      return new ContainerCgroup(paths);
    } catch (error) {
      removeCreated(created);
      throw asRuntimeError(error);
    }
  }

  /**
   * Reopens a container cgroup from paths saved in the state file.
   *
   * @throws {RuntimeError} when a path does not end in `tscontainer/<name>`.
   */
  static fromPaths(paths: Record<string, string>): ContainerCgroup {
    checkContainerPaths(paths);
    return new ContainerCgroup(paths);
  }

  /**
   * Returns the OOM kills in this cgroup since it was created. Call it before
   * `remove()`.
   *
   * @throws {RuntimeError} when the memory cgroup cannot be read.
   */
  oomKills(): number {
    const { version, dir } = requireControllerDir(this.paths, "memory");
    try {
      return version === 1 ? readOomKillsV1(dir) : readOomKillsV2(dir);
    } catch (error) {
      throw new RuntimeError(
        `failed to read the OOM kill count of cgroup ${dir}: ${
          describeFsError(error)
        }`,
        { cause: error },
      );
    }
  }

  /**
   * Kills every process left in the cgroup and removes its directories. The
   * shared `tscontainer` directories stay. Calling it again does nothing.
   *
   * @throws {RuntimeError} when processes survive or a directory stays busy.
   */
  async remove(): Promise<void> {
    await killAllProcesses(this.paths);
    for (const dir of Object.values(this.paths)) {
      await removeDirWhenEmpty(dir);
    }
  }
}

/**
 * Describes the OOM kills of a container in one line, for the runtime to
 * print when the container ends.
 */
export function describeOomKills(kills: number, limitBytes?: number): string {
  const count = kills === 0
    ? "no process"
    : `${kills} ${kills === 1 ? "process" : "processes"}`;
  if (limitBytes === undefined) {
    return `the kernel's OOM killer killed ${count} of the container, which has no memory limit: the host or a parent cgroup ran out of memory`;
  }
  return `the kernel's OOM killer killed ${count} at the memory limit of ${
    formatBytes(limitBytes)
  }`;
}
