/** Reading the host's process table from /proc. */

export interface ProcessEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** Reads pid, parent pid and command name of every process. */
export function readProcessTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readOptional(`/proc/${entry.name}/stat`);
    if (!stat) continue;
    // The command name is in parentheses and may itself contain ") ".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    const pid = Number(entry.name);
    table.set(pid, { pid, ppid: Number(fields[1]), comm });
  }
  return table;
}

/** Reads a /proc file, or returns undefined when the process is gone. */
export function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.PermissionDenied
    ) {
      return undefined;
    }
    throw error;
  }
}

/** Returns `roots` and all their descendants that are in `table`. */
export function descendantsOf(
  table: Map<number, ProcessEntry>,
  roots: number[],
): number[] {
  const children = new Map<number, number[]>();
  for (const entry of table.values()) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry.pid);
    children.set(entry.ppid, list);
  }
  const found = new Set<number>();
  const queue = roots.filter((pid) => table.has(pid));
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

const HOST_PID_NAMESPACE = Deno.readLinkSync("/proc/self/ns/pid");

/** Returns true when `pid` is in the bench's own PID namespace. */
export function inHostPidNamespace(pid: number): boolean {
  try {
    return Deno.readLinkSync(`/proc/${pid}/ns/pid`) === HOST_PID_NAMESPACE;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Peak resident set size (VmHWM) of `pid` in KiB, if it still runs. */
export function peakRssKiB(pid: number): number | undefined {
  const status = readOptional(`/proc/${pid}/status`);
  const match = status?.match(/^VmHWM:\s+(\d+) kB$/m);
  return match ? Number(match[1]) : undefined;
}

/** Returns the NUL-separated command line of `pid`, joined with spaces. */
export function commandLineOf(pid: number): string {
  return (readOptional(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ");
}

/** A mounted cgroup hierarchy. */
export interface CgroupMount {
  path: string;
  fstype: "cgroup" | "cgroup2";
  /** Super options, such as `rw,memory` for a v1 memory hierarchy. */
  options: string;
}

/** Lists every mounted cgroup hierarchy, from /proc/self/mountinfo. */
export function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (
    const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
  ) {
    const fields = line.split(" ");
    // Fields after the "-" separator: type, source, super options.
    const separator = fields.indexOf("-");
    const fstype = fields[separator + 1];
    if (
      separator < 0 || (fstype !== "cgroup" && fstype !== "cgroup2")
    ) continue;
    mounts.push({
      path: fields[4],
      fstype,
      options: fields[separator + 3] ?? "",
    });
  }
  return mounts;
}
