/**
 * Control files of the cgroup v1 controllers: memory, cpu, cpuacct, pids and
 * freezer. See the kernel's Documentation/admin-guide/cgroup-v1/.
 */
import { join } from "node:path";
import {
  controlExists,
  readControl,
  readKeyedValue,
  readOptionalControl,
  writeControl,
} from "./files.ts";
import { CPU_PERIOD_US, cpuQuotaUs } from "./limits.ts";

/**
 * Largest page size the kernel rounds memory limits down to (64 KiB pages on
 * some arm64 and ppc64 kernels).
 */
const MAX_PAGE_SIZE = 64 * 1024;

/**
 * v1 reports "no memory limit" as PAGE_COUNTER_MAX pages, about 2^63 bytes,
 * so anything from 2^62 up is read as unlimited.
 */
const V1_UNLIMITED_BYTES = 2 ** 62;

/** Returns a check that accepts `bytes` rounded down to a page boundary. */
export function acceptsRoundedBytes(
  bytes: number,
): (readBack: string) => boolean {
  return (readBack) => {
    const value = Number(readBack);
    return value <= bytes && bytes - value < MAX_PAGE_SIZE;
  };
}

/**
 * Limits memory and, where swap accounting exists, memory plus swap to the
 * same size, so the container gets no swap beyond its limit.
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function writeMemoryLimitV1(dir: string, bytes: number): void {
  const value = String(bytes);
  // The kernel keeps memsw.limit >= limit. In a new cgroup both start
  // unlimited, so the memory limit must go first.
  writeControl(
    join(dir, "memory.limit_in_bytes"),
    value,
    acceptsRoundedBytes(bytes),
  );

  const memsw = join(dir, "memory.memsw.limit_in_bytes");
  if (controlExists(memsw)) {
    writeControl(memsw, value, acceptsRoundedBytes(bytes));
  }
}

/**
 * Sets the CFS quota for `cpus` CPUs over a 100 ms period.
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function writeCpuLimitV1(dir: string, cpus: number): void {
  writeControl(join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
  writeControl(join(dir, "cpu.cfs_quota_us"), String(cpuQuotaUs(cpus)));
}

/**
 * Returns the OOM kills counted in a v1 memory cgroup.
 *
 * NOTE: kernels before 4.13 have no `oom_kill` line in memory.oom_control.
 * There a non-zero memory.failcnt (allocations that hit the limit) counts as
 * one kill, although reclaim may have avoided it.
 */
export function readOomKillsV1(dir: string): number {
  const kills = readKeyedValue(join(dir, "memory.oom_control"), "oom_kill");
  if (kills !== undefined) return kills;
  return Number(readControl(join(dir, "memory.failcnt"))) > 0 ? 1 : 0;
}

export interface MemoryUsage {
  /** Memory in use without the inactive page cache, as `docker stats` shows it. */
  usageBytes: number;
  /** The limit, or undefined when unlimited. */
  limitBytes?: number;
}

/** Reads memory usage and limit of a v1 memory cgroup. Throws Deno errors. */
export function readMemoryV1(dir: string): MemoryUsage {
  const usage = Number(readControl(join(dir, "memory.usage_in_bytes")));
  const inactive =
    readKeyedValue(join(dir, "memory.stat"), "total_inactive_file") ?? 0;
  const limit = Number(readControl(join(dir, "memory.limit_in_bytes")));
  return {
    usageBytes: inactive < usage ? usage - inactive : usage,
    limitBytes: limit >= V1_UNLIMITED_BYTES ? undefined : limit,
  };
}

/** Reads the CPU time used by a v1 cpuacct cgroup, in nanoseconds. */
export function readCpuUsageNsV1(dir: string): number {
  return Number(readControl(join(dir, "cpuacct.usage")));
}

/** Writes the state of a v1 freezer cgroup. Returns false when the cgroup is gone. */
export function setFreezerStateV1(
  dir: string,
  state: "FROZEN" | "THAWED",
): boolean {
  const file = join(dir, "freezer.state");
  if (!controlExists(file)) return false;
  writeControl(file, state, (readBack) => readBack !== "");
  return true;
}

/** Returns true when every process of a v1 freezer cgroup is frozen. */
export function isFrozenV1(dir: string): boolean {
  return readOptionalControl(join(dir, "freezer.state")) !== "FREEZING";
}
