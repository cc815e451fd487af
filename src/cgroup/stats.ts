/**
 * Resource usage of a container cgroup, as `tscontainer stats` shows it.
 */
import { requireControllerDir } from "./hierarchy.ts";
import { readPidsUsage } from "./pids.ts";
import { readCpuUsageNsV1, readMemoryV1 } from "./v1.ts";
import { readCpuUsageNsV2, readMemoryV2 } from "./v2.ts";

/** One sample of a container cgroup's usage. */
export interface CgroupUsage {
  /** Memory in use without the inactive page cache, as docker computes it. */
  memoryUsageBytes: number;
  /** The memory limit, or undefined when unlimited. */
  memoryLimitBytes?: number;
  /** CPU time used since the cgroup was created, in nanoseconds. */
  cpuUsageNs: number;
  pids: number;
  /** The pids limit, or undefined when unlimited. */
  pidsLimit?: number;
}

/**
 * Reads the usage of the container cgroup at `paths`.
 *
 * @throws {RuntimeError} when a controller is missing from `paths`.
 * @throws {Deno.errors.NotFound} when the cgroup is gone, because the
 * container has ended.
 */
export function readCgroupUsage(paths: Record<string, string>): CgroupUsage {
  const memory = requireControllerDir(paths, "memory");
  const cpuacct = requireControllerDir(paths, "cpuacct");
  const pids = requireControllerDir(paths, "pids");

  const { usageBytes, limitBytes } = memory.version === 1
    ? readMemoryV1(memory.dir)
    : readMemoryV2(memory.dir);
  const cpuUsageNs = cpuacct.version === 1
    ? readCpuUsageNsV1(cpuacct.dir)
    : readCpuUsageNsV2(cpuacct.dir);
  const { current, limit } = readPidsUsage(pids.dir);
  return {
    memoryUsageBytes: usageBytes,
    memoryLimitBytes: limitBytes,
    cpuUsageNs,
    pids: current,
    pidsLimit: limit,
  };
}
