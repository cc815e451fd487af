/**
 * Placement of a container's cgroup in each hierarchy: `<base>/tscontainer/<name>`.
 *
 * The base is the `--cgroup-parent` path when given, taken from the
 * hierarchy's root. Without it, the base on v1 is the runtime's own cgroup, as
 * runc does for a relative cgroup path, so that a runtime started inside a
 * limited cgroup stays inside it. On v2 it is the root, because v2 lets only
 * cgroups without processes of their own enable controllers for children.
 */
import { join, posix } from "node:path";
import { RuntimeError, UsageError } from "../errors.ts";
import { type Hierarchy, isWithin } from "./hierarchy.ts";

/** Name of the directory that contains the container cgroups. It stays when they go. */
export const RUNTIME_DIR_NAME = "tscontainer";

/** The directories of one container in one hierarchy. */
export interface Placement {
  hierarchy: Hierarchy;
  /** `<base>/tscontainer`, shared by all containers. */
  runtimeDir: string;
  /** `<base>/tscontainer/<name>`, the container's own cgroup. */
  containerDir: string;
  /**
   * v2 only: the existing directories from the mount point down to the base,
   * whose cgroup.subtree_control must enable the controllers.
   */
  ancestors: string[];
}

/**
 * Checks a `--cgroup-parent` value and returns it as an absolute cgroup path.
 *
 * @throws {UsageError} when the path is empty or contains "..".
 */
export function normalizeCgroupParent(parent: string): string {
  if (parent.trim() === "") {
    throw new UsageError(
      `invalid cgroup parent ${JSON.stringify(parent)}: it is empty`,
      { hint: "give a cgroup path such as /mygroup, or omit --cgroup-parent" },
    );
  }

  const segments = parent.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    throw new UsageError(
      `invalid cgroup parent ${
        JSON.stringify(parent)
      }: ".." would leave the cgroup hierarchy`,
      { hint: "give a path from the hierarchy's root, such as /mygroup" },
    );
  }
  return "/" + segments.join("/");
}

/** Maps a cgroup path to its directory under the hierarchy's mount point. */
function dirOfCgroup(hierarchy: Hierarchy, cgroupPath: string): string {
  if (!isWithin(cgroupPath, hierarchy.mountRoot)) {
    throw new RuntimeError(
      `cgroup ${cgroupPath} is outside the part of the ${hierarchy.key} hierarchy mounted at ${hierarchy.mountPoint} (${hierarchy.mountRoot})`,
      { hint: "mount the whole cgroup hierarchy, or use --cgroup-parent" },
    );
  }
  return join(
    hierarchy.mountPoint,
    posix.relative(hierarchy.mountRoot, cgroupPath),
  );
}

function baseDirOf(hierarchy: Hierarchy, parent?: string): string {
  if (parent !== undefined) return dirOfCgroup(hierarchy, parent);
  if (hierarchy.version === 1) return dirOfCgroup(hierarchy, hierarchy.ownPath);
  return hierarchy.mountPoint;
}

function checkParentExists(dir: string, parent: string): void {
  let isDirectory = false;
  try {
    isDirectory = Deno.statSync(dir).isDirectory;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!isDirectory) {
    throw new UsageError(
      `cgroup parent ${
        JSON.stringify(parent)
      } not found: ${dir} does not exist`,
      { hint: "create it in every cgroup hierarchy, or omit --cgroup-parent" },
    );
  }
}

/** Lists the directories from `top` down to `bottom`, both included. */
function dirsBetween(top: string, bottom: string): string[] {
  const dirs = [top];
  let current = top;
  for (const segment of posix.relative(top, bottom).split("/")) {
    if (segment === "") continue;
    current = join(current, segment);
    dirs.push(current);
  }
  return dirs;
}

/**
 * Plans the directories of container `name` in each hierarchy.
 *
 * @throws {UsageError} when `parent` is invalid or does not exist.
 * @throws {RuntimeError} when the base cgroup is not visible under a mount.
 */
export function planPlacements(
  hierarchies: Hierarchy[],
  name: string,
  parent?: string,
): Placement[] {
  const parentPath = parent === undefined
    ? undefined
    : normalizeCgroupParent(parent);
  return hierarchies.map((hierarchy) => {
    const base = baseDirOf(hierarchy, parentPath);
    if (parent !== undefined) checkParentExists(base, parent);

    const runtimeDir = join(base, RUNTIME_DIR_NAME);
    return {
      hierarchy,
      runtimeDir,
      containerDir: join(runtimeDir, name),
      ancestors: hierarchy.version === 2
        ? dirsBetween(hierarchy.mountPoint, base)
        : [],
    };
  });
}
