/**
 * The pids controller, whose files have the same names and formats on cgroup
 * v1 and v2.
 */
import { join } from "node:path";
import { readControl, writeControl } from "./files.ts";

/**
 * Limits the number of processes and threads in the cgroup (pids.max).
 *
 * @throws {RuntimeError} naming the file and value that the kernel rejected.
 */
export function writePidsLimit(dir: string, limit: number): void {
  writeControl(join(dir, "pids.max"), String(limit));
}

export interface PidsUsage {
  current: number;
  /** The limit, or undefined when unlimited ("max"). */
  limit?: number;
}

/** Reads pids.current and pids.max. Throws Deno errors. */
export function readPidsUsage(dir: string): PidsUsage {
  const limit = readControl(join(dir, "pids.max"));
  return {
    current: Number(readControl(join(dir, "pids.current"))),
    limit: limit === "max" ? undefined : Number(limit),
  };
}
