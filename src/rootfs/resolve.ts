/**
 * Path resolution inside a root filesystem seen from the host, where an
 * absolute symlink such as bin/sh -> /bin/busybox must resolve against the
 * root, not the host's /.
 */
// NOTE: plain string paths instead of node:path, which costs the init stage
// several milliseconds of start-up for Deno's Node.js compatibility layer.

/**
 * Splits a path into its components, resolving "." and ".." lexically, as
 * for a path relative to a root that ".." cannot leave.
 */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts;
}

/** Joins path components below `root`, which may end with a slash. */
export function joinUnder(root: string, ...parts: string[]): string {
  const base = root.replace(/\/+$/, "");
  return parts.length === 0 ? root : `${base}/${parts.join("/")}`;
}

/** Symlinks followed before giving up, as the kernel's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

/**
 * Returns the file's information, or undefined when it or a parent is
 * missing. Symbolic links are followed only when `followLinks` is set.
 */
export function statOrUndefined(
  path: string,
  followLinks = false,
): Deno.FileInfo | undefined {
  try {
    return followLinks ? Deno.statSync(path) : Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}

/**
 * Resolves `path` inside `root`, following symlinks without leaving the root,
 * and returns the host path of the result, or undefined when a component is
 * missing or the symlinks loop.
 */
export function resolveInRoot(root: string, path: string): string | undefined {
  const pending = splitPath(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const hostPath = joinUnder(root, ...resolved, part);
    const info = statOrUndefined(hostPath);
    if (!info) return undefined;
    if (!info.isSymlink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) return undefined;
    const target = Deno.readLinkSync(hostPath);
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...target.split("/").filter((p) => p && p !== "."));
  }
  return joinUnder(root, ...resolved);
}

/** A path component inside a root that is a symbolic link. */
export interface SymlinkComponent {
  /** The component, relative to the root, such as "proc". */
  path: string;
  target: string;
}

/**
 * Returns the first component of `path` inside `root` that is a symbolic
 * link, without following any, or undefined when there is none. Components
 * that do not exist end the walk.
 */
export function findSymlinkComponent(
  root: string,
  path: string,
): SymlinkComponent | undefined {
  const parts = splitPath(path);
  for (let index = 1; index <= parts.length; index++) {
    const relative = parts.slice(0, index).join("/");
    const info = statOrUndefined(joinUnder(root, relative));
    if (!info) return undefined;
    if (info.isSymlink) {
      return {
        path: relative,
        target: Deno.readLinkSync(joinUnder(root, relative)),
      };
    }
  }
  return undefined;
}
