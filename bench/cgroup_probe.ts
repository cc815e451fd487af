/**
 * How long it takes to move a process into cgroups, the init stage's
 * `join cgroups` step, measured outside any container.
 *
 * The probe makes one cgroup per hierarchy under the bench's own cgroup,
 * starts `sleep`, and writes its pid into each cgroup.procs in turn,
 * timing every write. It pauses between joins so each join starts from an
 * idle state, as a container start does.
 */
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { NAME_PREFIX } from "./context.ts";
import { cgroupMounts } from "./procfs.ts";
import { sleep, spawn, stopChild } from "./process.ts";
import { summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";

/** The v1 controllers whose hierarchies tscontainer uses. */
const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "pids", "freezer"];
const PAUSE_MS = 200;

export interface CgroupJoinProbe {
  /** Hierarchies written, in write order. */
  hierarchies: string[];
  /** The first cgroup.procs write of each join. */
  firstWrite: Summary;
  /** Every later write of the same join. */
  laterWrites: Summary;
  /** All writes of one join together. */
  join: Summary;
}

interface Hierarchy {
  label: string;
  /** The bench's own cgroup in this hierarchy. */
  home: string;
  probe: string;
}

/** Parses /proc/self/cgroup into controller list → cgroup path. */
function ownCgroups(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of Deno.readTextFileSync("/proc/self/cgroup").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path !== undefined) paths.set(controllers, path);
  }
  return paths;
}

/** Finds the hierarchies to probe: v1 controllers, or a v2 hierarchy. */
function findHierarchies(): Hierarchy[] {
  const own = ownCgroups();
  const found: Hierarchy[] = [];
  const hasV1 = cgroupMounts().some((mount) =>
    mount.options.split(",").some((o) => V1_CONTROLLERS.includes(o))
  );
  for (const mount of cgroupMounts()) {
    const options = mount.options.split(",");
    const isV2 = mount.fstype === "cgroup2" && own.has("");
    const controllers = options.filter((o) => V1_CONTROLLERS.includes(o));
    let path: string | undefined;
    if (controllers.length > 0) {
      path = [...own.entries()].find(([key]) =>
        controllers.every((c) => key.split(",").includes(c))
      )?.[1];
    } else if (isV2 && !hasV1) {
      // Where v1 hierarchies exist, tscontainer joins those of the
      // controllers it uses, so the probe skips the cgroup2 hierarchy too.
      const enabled = Deno.readTextFileSync(
        join(mount.path, "cgroup.controllers"),
      );
      if (enabled.trim()) path = own.get("");
    }
    if (path === undefined) continue;
    const home = join(mount.path, path);
    const label = controllers.length > 0 ? controllers.join(",") : "cgroup2";
    found.push({ label, home, probe: join(home, `${NAME_PREFIX}-probe`) });
  }
  return found;
}

function timedWrite(file: string, pid: number): number {
  const started = performance.now();
  Deno.writeTextFileSync(file, String(pid));
  return performance.now() - started;
}

/**
 * Runs `joins` joins of a `sleep` process into fresh cgroups and returns
 * the write times. The process goes back to the bench's cgroups after each
 * join; cleanup removes the probe cgroups.
 * @throws {Error} when no cgroup hierarchy is usable.
 */
export async function probeCgroupJoin(
  context: BenchContext,
  joins: number,
): Promise<CgroupJoinProbe> {
  const hierarchies = findHierarchies();
  if (hierarchies.length === 0) throw new Error("no cgroup hierarchy found");
  for (const hierarchy of hierarchies) {
    Deno.mkdirSync(hierarchy.probe);
    context.cleanup.trackCgroupDir(hierarchy.probe);
  }
  const child = spawn(["sleep", "600"], { stdout: "null", stderr: "null" });
  const first: number[] = [];
  const later: number[] = [];
  const totals: number[] = [];
  try {
    for (let round = 0; round < joins; round++) {
      await sleep(PAUSE_MS);
      const times = hierarchies.map((hierarchy) =>
        timedWrite(join(hierarchy.probe, "cgroup.procs"), child.pid)
      );
      first.push(times[0]);
      later.push(...times.slice(1));
      totals.push(times.reduce((sum, time) => sum + time, 0));
      for (const hierarchy of hierarchies) {
        timedWrite(join(hierarchy.home, "cgroup.procs"), child.pid);
      }
    }
  } finally {
    await stopChild(child);
  }
  return {
    hierarchies: hierarchies.map((hierarchy) => hierarchy.label),
    firstWrite: summarize(first),
    laterWrites: summarize(later),
    join: summarize(totals),
  };
}
