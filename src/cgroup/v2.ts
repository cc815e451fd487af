/**
 * Control files of the cgroup v2 (unified) hierarchy. See the kernel's
 * Documentation/admin-guide/cgroup-v2.rst.
 */
import { join } from "node:path";
import {
  controlExists,
  readControl,
  readKeyedValue,
  readOptionalControl,
  writeControl,
  writeOnlyControl,
} from "./files.ts";
import { CPU_PERIOD_US, cpuQuotaUs } from "./limits.ts";
import { acceptsRoundedBytes, type MemoryUsage } from "./v1.ts";

/** Lists the controllers enabled in a cgroup's cgroup.subtree_control. */
export function readSubtreeControl(dir: string): string[] {
  const text = readOptionalControl(join(dir, "cgroup.subtree_control")) ?? "";
  return text.split(/\s+/).filter(Boolean).map((word) =>
    word.replace(/^\+/, "")
  );
}

/**
 * Enables `controllers` for the children of `dir`, skipping those already
 * enabled, so that a delegated cgroup with processes is left alone when it
 * already has them.
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function enableControllers(dir: string, controllers: string[]): void {
  const enabled = readSubtreeControl(dir);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;

  const value = missing.map((c) => `+${c}`).join(" ");
  writeControl(join(dir, "cgroup.subtree_control"), value, () => {
    const now = readSubtreeControl(dir);
    return missing.every((c) => now.includes(c));
  });
}

/**
 * Limits memory and turns swap off for the cgroup (memory.swap.max 0), where
 * the kernel has swap support, so the container gets no swap beyond its limit.
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function writeMemoryLimitV2(dir: string, bytes: number): void {
  writeControl(
    join(dir, "memory.max"),
    String(bytes),
    acceptsRoundedBytes(bytes),
  );

  const swap = join(dir, "memory.swap.max");
  if (controlExists(swap)) writeControl(swap, "0");
}

/**
 * Sets the CFS quota for `cpus` CPUs over a 100 ms period (cpu.max).
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function writeCpuLimitV2(dir: string, cpus: number): void {
  writeControl(join(dir, "cpu.max"), `${cpuQuotaUs(cpus)} ${CPU_PERIOD_US}`);
}

/** Returns the OOM kills counted in memory.events of a v2 cgroup. */
export function readOomKillsV2(dir: string): number {
  return readKeyedValue(join(dir, "memory.events"), "oom_kill") ?? 0;
}

/** Reads memory usage and limit of a v2 cgroup. Throws Deno errors. */
export function readMemoryV2(dir: string): MemoryUsage {
  const usage = Number(readControl(join(dir, "memory.current")));
  const inactive = readKeyedValue(join(dir, "memory.stat"), "inactive_file") ??
    0;
  const limit = readControl(join(dir, "memory.max"));
  return {
    usageBytes: inactive < usage ? usage - inactive : usage,
    limitBytes: limit === "max" ? undefined : Number(limit),
  };
}

/** Reads the CPU time used by a v2 cgroup, in nanoseconds. */
export function readCpuUsageNsV2(dir: string): number {
  const usec = readKeyedValue(join(dir, "cpu.stat"), "usage_usec") ?? 0;
  return usec * 1000;
}

/**
 * Kills every process of a v2 cgroup through cgroup.kill (Linux 5.14 and
 * later). Returns false when the file is missing.
 */
export function killAllV2(dir: string): boolean {
  const file = join(dir, "cgroup.kill");
  if (!controlExists(file)) return false;
  writeOnlyControl(file, "1");
  return true;
}

/**
 * Freezes (true) or thaws (false) a v2 cgroup through cgroup.freeze (Linux
 * 5.2 and later). Returns false when the file is missing.
 */
export function setFrozenV2(dir: string, frozen: boolean): boolean {
  const file = join(dir, "cgroup.freeze");
  if (!controlExists(file)) return false;
  writeControl(file, frozen ? "1" : "0");
  return true;
}

/** Returns true when a v2 cgroup has finished freezing or is gone. */
export function isFrozenV2(dir: string): boolean {
  const events = readOptionalControl(join(dir, "cgroup.events"));
  return events === undefined || /^frozen 1$/m.test(events);
}
