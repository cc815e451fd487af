/**
 * Command lines of the peers, built so each does the same work as the
 * tscontainer start it is compared with.
 */
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { ROOTFS } from "./context.ts";
import { peerPath } from "./peers.ts";
import { capture } from "./process.ts";
import { writeRuncBundle } from "./runc_bundle.ts";

/** The memory limit of every container in P1 to P4. */
export const MEMORY_LIMIT = "64m";
export const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * bwrap with the namespaces tscontainer creates (PID, mount, UTS, IPC,
 * network), the rootfs bound read-only as `/`, and fresh /proc and /dev.
 * bwrap has no cgroup support, so it runs without a memory limit.
 */
export function bwrapArgv(context: BenchContext, command: string[]): string[] {
  return [
    peerPath(context.peers, "bwrap"),
    "--ro-bind",
    ROOTFS,
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--hostname",
    "bwrap",
    "--die-with-parent",
    "--",
    ...command,
  ];
}

/**
 * unshare(1) with the same namespaces, chroot into the rootfs and a fresh
 * /proc. It sets no memory limit, no /dev and no hostname: the floor of what
 * the kernel needs for namespaces and a root directory.
 */
export function unshareArgv(
  context: BenchContext,
  command: string[],
): string[] {
  return [
    peerPath(context.peers, "unshare"),
    "--fork",
    "--pid",
    "--mount",
    "--uts",
    "--ipc",
    "--net",
    `--root=${ROOTFS}`,
    "--mount-proc",
    ...command,
  ];
}

/** `runc run` of a bundle, in the foreground: it deletes the container when it ends. */
export function runcArgv(
  context: BenchContext,
  bundle: string,
  id: string,
): string[] {
  return [peerPath(context.peers, "runc"), "run", "--bundle", bundle, id];
}

/**
 * Copies rootfs/ into the scratch directory for a peer that writes into its
 * root filesystem (runc creates mount points, podman its run files), so the
 * repository's rootfs stays as it is.
 */
export async function copyRootfs(
  context: BenchContext,
  label: string,
): Promise<string> {
  const target = join(context.scratch, `rootfs-${label}`);
  try {
    Deno.statSync(target);
    return target;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await capture(["cp", "-a", ROOTFS, target]);
  return target;
}

/** Writes an OCI bundle running `command` with the P1 memory limit. */
export async function prepareRuncBundle(
  context: BenchContext,
  label: string,
  command: string[],
): Promise<string> {
  const rootfs = await copyRootfs(context, "runc");
  return await writeRuncBundle(peerPath(context.peers, "runc"), {
    dir: join(context.scratch, `bundle-${label}`),
    rootfs,
    command,
    memoryBytes: MEMORY_LIMIT_BYTES,
    hostname: "runc",
  });
}

/** Options of one podman container. */
export interface PodmanRun {
  name: string;
  rootfs: string;
  command: string[];
  /** Runs detached (`-d`) instead of `--rm` in the foreground. */
  detach?: boolean;
}

/**
 * `podman --runtime runc run` with a bridged network and the memory limit.
 * NOTE: podman's `--rootfs` takes the rest of the line as the command, so
 * every option comes before it. This machine needs the cgroupfs manager and
 * explicit ulimits, because its hard limits are below podman's defaults.
 */
export function podmanArgv(context: BenchContext, run: PodmanRun): string[] {
  return [
    peerPath(context.peers, "podman"),
    "--runtime",
    "runc",
    "--cgroup-manager=cgroupfs",
    "run",
    run.detach ? "-d" : "--rm",
    "--name",
    run.name,
    "--network",
    "bridge",
    "--memory",
    MEMORY_LIMIT,
    "--ulimit",
    "nofile=10000:10000",
    "--ulimit",
    "nproc=1000:1000",
    "--rootfs",
    run.rootfs,
    ...run.command,
  ];
}
