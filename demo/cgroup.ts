/**
 * Reads a container's cgroup files directly, so that the demo measures the
 * limits and usage itself instead of trusting `tscontainer stats`. Works on
 * cgroup v1 (each controller in its own hierarchy) and v2 (one unified
 * hierarchy, keyed "unified" in the state's cgroupPaths).
 */
import { DemoError } from "./runtime.ts";

/** A controller's cgroup directory and the cgroup version of its hierarchy. */
interface ControllerDir {
  dir: string;
  version: 1 | 2;
}

/** v1 reports "no limit" as the largest page-aligned counter, near 2^63. */
const V1_UNLIMITED = 2 ** 60;

/**
 * Finds the directory of `controller` among a container's cgroup paths. A
 * v1 hierarchy that has the controller wins over the unified one, because on
 * a hybrid layout the unified hierarchy may exist without the controller.
 * @throws {DemoError} when no hierarchy has the controller.
 */
export function findControllerDir(
  paths: Record<string, string>,
  controller: string,
): ControllerDir {
  for (const [key, dir] of Object.entries(paths)) {
    if (key.split(",").includes(controller)) return { dir, version: 1 };
  }
  if (paths.unified) return { dir: paths.unified, version: 2 };
  throw new DemoError(
    `the container has no cgroup for the ${controller} controller: ${
      JSON.stringify(paths)
    }`,
  );
}

function readText(dir: string, file: string): string {
  return Deno.readTextFileSync(`${dir}/${file}`).trim();
}

function readOptionalText(dir: string, file: string): string | undefined {
  try {
    return readText(dir, file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Returns the value of `key` in a flat-keyed file such as memory.events. */
function readKeyed(dir: string, file: string, key: string): number {
  for (const line of readText(dir, file).split("\n")) {
    const [name, value] = line.split(" ");
    if (name === key) return Number(value);
  }
  throw new DemoError(`${dir}/${file} has no ${key} line`);
}

/** Parses a limit that is "max", "-1" or a number, and returns undefined for none. */
function parseLimit(text: string): number | undefined {
  if (text === "max" || text === "-1") return undefined;
  const value = Number(text);
  return value >= V1_UNLIMITED ? undefined : value;
}

/** Returns the path of memory.usage_in_bytes (v1) or memory.current (v2). */
export function memoryUsageFile(paths: Record<string, string>): string {
  const { dir, version } = findControllerDir(paths, "memory");
  return `${dir}/${version === 1 ? "memory.usage_in_bytes" : "memory.current"}`;
}

/** Reads the memory charged to the cgroup, in bytes, page cache included. */
export function readMemoryUsage(paths: Record<string, string>): number {
  return Number(Deno.readTextFileSync(memoryUsageFile(paths)).trim());
}

/** Reads the memory limit in bytes, or returns undefined when there is none. */
export function readMemoryLimit(
  paths: Record<string, string>,
): number | undefined {
  const { dir, version } = findControllerDir(paths, "memory");
  return parseLimit(
    readText(dir, version === 1 ? "memory.limit_in_bytes" : "memory.max"),
  );
}

/**
 * Reads the highest usage the kernel recorded, in bytes. Returns undefined
 * where the kernel lacks the file (memory.peak appeared in Linux 5.19).
 */
export function readMemoryPeak(
  paths: Record<string, string>,
): number | undefined {
  const { dir, version } = findControllerDir(paths, "memory");
  const file = version === 1 ? "memory.max_usage_in_bytes" : "memory.peak";
  const text = readOptionalText(dir, file);
  return text === undefined ? undefined : Number(text);
}

/** Reads how many processes the OOM killer has killed in the cgroup. */
export function readOomKills(paths: Record<string, string>): number {
  const { dir, version } = findControllerDir(paths, "memory");
  return version === 1
    ? readKeyed(dir, "memory.oom_control", "oom_kill")
    : readKeyed(dir, "memory.events", "oom_kill");
}

/** Reads the CPU time used by the cgroup since its creation, in nanoseconds. */
export function readCpuUsageNs(paths: Record<string, string>): number {
  const { dir, version } = findControllerDir(paths, "cpuacct");
  return version === 1
    ? Number(readText(dir, "cpuacct.usage"))
    : readKeyed(dir, "cpu.stat", "usage_usec") * 1000;
}

/** Reads the CPU limit in CPUs (quota over period), or returns undefined for none. */
export function readCpuLimit(
  paths: Record<string, string>,
): number | undefined {
  const { dir, version } = findControllerDir(paths, "cpu");
  if (version === 2) {
    const [quota, period] = readText(dir, "cpu.max").split(" ");
    const quotaUs = parseLimit(quota);
    return quotaUs === undefined ? undefined : quotaUs / Number(period);
  }
  const quotaUs = parseLimit(readText(dir, "cpu.cfs_quota_us"));
  const periodUs = Number(readText(dir, "cpu.cfs_period_us"));
  return quotaUs === undefined ? undefined : quotaUs / periodUs;
}

/** Reads the maximum number of processes, or returns undefined for none. */
export function readPidsLimit(
  paths: Record<string, string>,
): number | undefined {
  const { dir } = findControllerDir(paths, "pids");
  return parseLimit(readText(dir, "pids.max"));
}

/** Reads how many forks the pids limit has rejected ("max" in pids.events). */
export function readPidsRejections(paths: Record<string, string>): number {
  const { dir } = findControllerDir(paths, "pids");
  return readKeyed(dir, "pids.events", "max");
}
