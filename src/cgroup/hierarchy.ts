/**
 * Detection of the cgroup hierarchies from /proc/self/mountinfo and
 * /proc/self/cgroup: pure v2 (unified), v1 (legacy), or hybrid (v1
 * controllers plus a cgroup2 mount, as systemd sets up).
 */
import { join, posix } from "node:path";
import { RuntimeError } from "../errors.ts";

/** Key of the cgroup2 hierarchy in `ContainerCgroup.paths`. */
export const UNIFIED_KEY = "unified";

export type CgroupMode = "unified" | "legacy" | "hybrid";

/** A cgroup or cgroup2 mount as /proc/self/mountinfo lists it. */
export interface CgroupMount {
  version: 1 | 2;
  /** The mount point of the hierarchy. */
  mountPoint: string;
  /** The cgroup of the hierarchy mounted there: "/" unless a subtree is bind-mounted. */
  root: string;
  /** Super options, which on v1 contain the controllers bound to the hierarchy. */
  options: string[];
}

/** One line of /proc/self/cgroup. */
export interface ProcCgroupEntry {
  hierarchyId: number;
  /** Controllers bound to the hierarchy, empty for cgroup2. */
  controllers: string[];
  /** The process's cgroup, relative to the hierarchy's root. */
  path: string;
}

/** One hierarchy that the runtime can create cgroups in. */
export interface Hierarchy {
  /** `UNIFIED_KEY`, or the v1 controllers as /proc/self/cgroup lists them, such as "cpu,cpuacct". */
  key: string;
  version: 1 | 2;
  mountPoint: string;
  /** The cgroup mounted at `mountPoint`. */
  mountRoot: string;
  /** Controllers bound to it (v1) or listed in the root's cgroup.controllers (v2). */
  controllers: string[];
  /** This process's cgroup in the hierarchy. */
  ownPath: string;
}

export interface CgroupLayout {
  mode: CgroupMode;
  hierarchies: Hierarchy[];
}

/** Decodes the octal escapes (`\040` for a space) of mountinfo fields. */
function unescapeMountField(field: string): string {
  return field.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}

/** Parses the cgroup and cgroup2 mounts out of /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.trim().split(" ");
    const separator = fields.indexOf("-");
    if (separator < 6) continue;

    const fsType = fields[separator + 1];
    if (fsType !== "cgroup" && fsType !== "cgroup2") continue;
    mounts.push({
      version: fsType === "cgroup2" ? 2 : 1,
      mountPoint: unescapeMountField(fields[4]),
      root: unescapeMountField(fields[3]),
      options: (fields[separator + 3] ?? "").split(","),
    });
  }
  return mounts;
}

/** Parses /proc/self/cgroup text (`id:controllers:path` lines). */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;

    const controllers = line.slice(first + 1, second);
    entries.push({
      hierarchyId: Number(line.slice(0, first)),
      controllers: controllers ? controllers.split(",") : [],
      path: line.slice(second + 1),
    });
  }
  return entries;
}

/** Returns true when cgroup `path` is `ancestor` or below it. */
export function isWithin(path: string, ancestor: string): boolean {
  const relative = posix.relative(ancestor, path);
  return relative === "" ||
    (!relative.startsWith("..") && !posix.isAbsolute(relative));
}

/** Picks the mount that shows `ownPath`, else the first candidate. */
function pickMount(
  candidates: CgroupMount[],
  ownPath: string,
): CgroupMount | undefined {
  return candidates.find((mount) => isWithin(ownPath, mount.root)) ??
    candidates[0];
}

function v1Hierarchies(
  mounts: CgroupMount[],
  entries: ProcCgroupEntry[],
): Hierarchy[] {
  const hierarchies: Hierarchy[] = [];
  for (const entry of entries) {
    // Named hierarchies such as name=systemd have no controllers to use.
    const controllers = entry.controllers.filter((c) => !c.includes("="));
    if (controllers.length === 0) continue;

    const candidates = mounts.filter((mount) =>
      mount.version === 1 &&
      controllers.every((c) => mount.options.includes(c))
    );
    const mount = pickMount(candidates, entry.path);
    if (!mount) continue;
    hierarchies.push({
      key: controllers.join(","),
      version: 1,
      mountPoint: mount.mountPoint,
      mountRoot: mount.root,
      controllers,
      ownPath: entry.path,
    });
  }
  return hierarchies;
}

function unifiedHierarchy(
  mounts: CgroupMount[],
  entries: ProcCgroupEntry[],
): Hierarchy | undefined {
  const entry = entries.find((e) =>
    e.hierarchyId === 0 && e.controllers.length === 0
  );
  const candidates = mounts.filter((mount) => mount.version === 2);
  const mount = pickMount(candidates, entry?.path ?? "/");
  if (!mount) return undefined;
  return {
    key: UNIFIED_KEY,
    version: 2,
    mountPoint: mount.mountPoint,
    mountRoot: mount.root,
    controllers: [],
    ownPath: entry?.path ?? "/",
  };
}

/**
 * Detects the hierarchies from the text of /proc/self/mountinfo and
 * /proc/self/cgroup. The unified hierarchy's `controllers` stay empty: they
 * come from its cgroup.controllers file (see `readLayout`).
 */
export function detectLayout(
  mountinfo: string,
  procCgroup: string,
): CgroupLayout {
  const mounts = parseCgroupMounts(mountinfo);
  const entries = parseProcCgroup(procCgroup);
  const hierarchies = v1Hierarchies(mounts, entries);
  const hasV1 = hierarchies.length > 0;
  const unified = unifiedHierarchy(mounts, entries);
  if (unified) hierarchies.push(unified);

  let mode: CgroupMode = "legacy";
  if (unified) mode = hasV1 ? "hybrid" : "unified";
  return { mode, hierarchies };
}

function readProcFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new RuntimeError(`failed to read ${path} to find the cgroup mounts`, {
      hint: "mount /proc",
      cause: error,
    });
  }
}

/**
 * Detects the hierarchies of this process, reading /proc/self/mountinfo,
 * /proc/self/cgroup and the unified root's cgroup.controllers below `root`.
 * Mount points in the result include `root`.
 *
 * @throws {RuntimeError} when /proc cannot be read.
 */
export function readLayout(root = "/"): CgroupLayout {
  const layout = detectLayout(
    readProcFile(join(root, "proc/self/mountinfo")),
    readProcFile(join(root, "proc/self/cgroup")),
  );
  for (const hierarchy of layout.hierarchies) {
    hierarchy.mountPoint = join(root, hierarchy.mountPoint);
    if (hierarchy.version === 2) {
      const file = join(hierarchy.mountPoint, "cgroup.controllers");
      hierarchy.controllers = Deno.readTextFileSync(file).trim().split(/\s+/)
        .filter(Boolean);
    }
  }
  return layout;
}

/**
 * Returns the hierarchy that provides `controller`: the unified one when its
 * root lists the controller, else the v1 hierarchy it is bound to. The kernel
 * binds each controller to at most one of them.
 */
export function findHierarchy(
  layout: CgroupLayout,
  controller: string,
): Hierarchy | undefined {
  const unified = layout.hierarchies.find((h) => h.version === 2);
  if (unified?.controllers.includes(controller)) return unified;
  return layout.hierarchies.find((h) =>
    h.version === 1 && h.controllers.includes(controller)
  );
}

/** Controllers every container cgroup needs, for its limits and for stats. */
export const BASE_CONTROLLERS = ["memory", "cpu", "pids"];

function requireHierarchy(layout: CgroupLayout, controller: string): Hierarchy {
  const hierarchy = findHierarchy(layout, controller);
  if (hierarchy) return hierarchy;
  throw new RuntimeError(
    `cgroup controller "${controller}" is not available: it is neither mounted as a cgroup v1 hierarchy nor listed in the cgroup2 root's cgroup.controllers`,
    {
      hint:
        `enable the ${controller} controller in the kernel, or mount it (for example: mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller})`,
    },
  );
}

/**
 * Chooses the hierarchies a container cgroup lives in: those of memory, cpu
 * and pids, plus on v1 cpuacct (CPU usage) and freezer (killing every
 * process). The unified hierarchy provides both in its core files.
 *
 * @throws {RuntimeError} naming a controller that no hierarchy provides.
 */
export function chooseHierarchies(layout: CgroupLayout): Hierarchy[] {
  const chosen = BASE_CONTROLLERS.map((c) => requireHierarchy(layout, c));
  if (chosen.some((h) => h.version === 1)) {
    chosen.push(requireHierarchy(layout, "freezer"));
  }
  if (findHierarchy(layout, "cpu")?.version === 1) {
    chosen.push(requireHierarchy(layout, "cpuacct"));
  }
  return [...new Set(chosen)];
}

/** A container cgroup directory and the version of its hierarchy. */
export interface ControllerDir {
  version: 1 | 2;
  dir: string;
}

/**
 * Finds the directory that contains `controller`'s files among a container's
 * saved paths: the v1 hierarchy that lists it, else the unified one.
 */
export function controllerDir(
  paths: Record<string, string>,
  controller: string,
): ControllerDir | undefined {
  for (const [key, dir] of Object.entries(paths)) {
    if (key !== UNIFIED_KEY && key.split(",").includes(controller)) {
      return { version: 1, dir };
    }
  }
  const unified = paths[UNIFIED_KEY];
  return unified === undefined ? undefined : { version: 2, dir: unified };
}

/**
 * Finds the directory of `controller` like `controllerDir`.
 *
 * @throws {RuntimeError} when no saved path provides it.
 */
export function requireControllerDir(
  paths: Record<string, string>,
  controller: string,
): ControllerDir {
  const found = controllerDir(paths, controller);
  if (found) return found;
  throw new RuntimeError(
    `the container cgroup has no ${controller} controller: ${
      JSON.stringify(paths)
    }`,
  );
}
