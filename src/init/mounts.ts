/**
 * Mount steps of the init stage. Each function has one kernel effect and
 * uses only synchronous APIs, because asynchronous file ops run on pool
 * threads that keep the old mount namespace and root.
 */
import {
  MNT_DETACH,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_STRICTATIME,
} from "../../ffi/constants.ts";
import type { Libc } from "../../ffi/libc.ts";
import { RuntimeError } from "../errors.ts";
import {
  findSymlinkComponent,
  joinUnder,
  splitPath,
  statOrUndefined,
} from "../rootfs/resolve.ts";
import type { OverlayDirs } from "./config.ts";

/** Character devices created in the container's /dev: name, major, minor. */
export const DEVICES: [string, number, number][] = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

/** Symlinks created in the container's /dev, as the kernel docs list them. */
export const DEV_SYMLINKS: [string, string][] = [
  ["ptmx", "pts/ptmx"],
  ["fd", "/proc/self/fd"],
  ["stdin", "/proc/self/fd/0"],
  ["stdout", "/proc/self/fd/1"],
  ["stderr", "/proc/self/fd/2"],
];

/**
 * Makes every mount recursively private, so that nothing mounted in the new
 * mount namespace propagates back to the host. Runs before any other mount.
 */
export function makeRootPrivate(sys: Libc): void {
  sys.mount(null, "/", null, MS_REC | MS_PRIVATE);
}

/** Mounts an overlay of the rootfs on `dirs.merged`, so writes stay per container. */
export function mountOverlayRoot(
  sys: Libc,
  rootfs: string,
  dirs: OverlayDirs,
): void {
  const data = `lowerdir=${rootfs},upperdir=${dirs.upper},workdir=${dirs.work}`;
  sys.mount("overlay", dirs.merged, "overlay", 0, data);
}

/** Bind-mounts the rootfs onto itself, so that it is a mount point for pivot_root. */
export function bindRootfs(sys: Libc, rootfs: string): void {
  sys.mount(rootfs, rootfs, null, MS_BIND | MS_REC);
}

/** The file type a mount target must have when it exists. */
export type TargetKind = "directory" | "file";

function wrongKind(root: string, target: string, kind: TargetKind) {
  const article = kind === "directory" ? "a directory" : "a regular file";
  return new RuntimeError(
    `mount target /${target} in the root filesystem is not ${article}`,
    { hint: `make ${joinUnder(root, target)} ${article}, or remove it` },
  );
}

/**
 * Rejects a mount target inside the new root that is, or passes through, a
 * symbolic link: mounting there could cover a path outside the container.
 * Also rejects a target, or a parent of it, of the wrong kind. A missing
 * target is fine: it is created.
 * @throws {RuntimeError} naming the target, and the link's target if any.
 */
export function checkMountTarget(
  root: string,
  target: string,
  kind: TargetKind,
): void {
  const link = findSymlinkComponent(root, target);
  if (link) {
    throw new RuntimeError(
      `mount target /${link.path} in the root filesystem is a symbolic link to ${link.target}`,
      {
        hint: `replace ${
          joinUnder(root, link.path)
        } with a real directory or file`,
      },
    );
  }
  const parts = splitPath(target);
  parts.forEach((_, index) => {
    const partial = parts.slice(0, index + 1).join("/");
    const expected = index === parts.length - 1 ? kind : "directory";
    const info = statOrUndefined(joinUnder(root, partial));
    if (!info) return;
    if ((expected === "directory") !== info.isDirectory) {
      throw wrongKind(root, partial, expected);
    }
  });
}

/** Creates `path` as a directory when it is missing, as runc does for mount points. */
function ensureDirectory(path: string): void {
  Deno.mkdirSync(path, { recursive: true });
}

/** Bind-mounts the per-container hosts file over the rootfs's /etc/hosts. */
export function bindHostsFile(
  sys: Libc,
  root: string,
  hostsFile: string,
): void {
  checkMountTarget(root, "etc/hosts", "file");
  const target = joinUnder(root, "etc", "hosts");
  ensureDirectory(joinUnder(root, "etc"));
  try {
    Deno.lstatSync(target);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.writeTextFileSync(target, "");
  }
  sys.mount(hostsFile, target, null, MS_BIND);
}

/**
 * Moves the root of the mount namespace to `root` and detaches the old one.
 * pivot_root(".", ".") stacks the old root on top of the new one, so the
 * unmount that follows removes it without needing a directory for it.
 */
export function pivotIntoRootfs(sys: Libc, root: string): void {
  sys.chdir(root);
  sys.pivotRoot(".", ".");
  sys.umount2(".", MNT_DETACH);
  sys.chdir("/");
}

/**
 * Mounts a fresh procfs on /proc. NOTE: procfs shows the PID namespace of the
 * process that mounts it, so this runs in the init stage, PID 1 of the new one.
 */
export function mountProc(sys: Libc): void {
  checkMountTarget("/", "proc", "directory");
  ensureDirectory("/proc");
  sys.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/**
 * Mounts sysfs read-only on /sys. NOTE: sysfs shows the network devices of
 * the mounter's network namespace, so this runs after joining it.
 */
export function mountSys(sys: Libc): void {
  checkMountTarget("/", "sys", "directory");
  ensureDirectory("/sys");
  const flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  sys.mount("sysfs", "/sys", "sysfs", flags);
}

/** Mounts a tmpfs on /dev with the standard device nodes and symlinks. */
export function mountDev(sys: Libc): void {
  checkMountTarget("/", "dev", "directory");
  ensureDirectory("/dev");
  sys.mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755");
  for (const [name, major, minor] of DEVICES) {
    sys.mknod(`/dev/${name}`, 0o666, major, minor);
    // mknod applies the umask, so the mode is set again.
    Deno.chmodSync(`/dev/${name}`, 0o666);
  }
  for (const [name, target] of DEV_SYMLINKS) {
    Deno.symlinkSync(target, `/dev/${name}`);
  }
}

/** Mounts a private devpts instance, so ptys opened inside stay inside. */
export function mountDevPts(sys: Libc): void {
  Deno.mkdirSync("/dev/pts");
  const data = "newinstance,ptmxmode=0666,mode=0620,gid=5";
  sys.mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, data);
}

/** Mounts the POSIX shared memory tmpfs on /dev/shm. */
export function mountDevShm(sys: Libc): void {
  Deno.mkdirSync("/dev/shm");
  const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  sys.mount("shm", "/dev/shm", "tmpfs", flags, "mode=1777,size=65536k");
}

/** Mounts the POSIX message queue filesystem of the new IPC namespace. */
export function mountMqueue(sys: Libc): void {
  Deno.mkdirSync("/dev/mqueue");
  const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  sys.mount("mqueue", "/dev/mqueue", "mqueue", flags);
}
