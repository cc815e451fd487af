/**
 * Turning `run` options into a checked configuration, before any setup, so
 * that bad input fails fast and leaves nothing behind.
 */
import { RuntimeError, UsageError } from "../errors.ts";
import {
  parseCpus,
  parseMemorySize,
  parsePidsLimit,
} from "../cgroup/limits.ts";
import type { ResourceLimits } from "../cgroup/limits.ts";
import { parsePortMapping, validateNetworkOptions } from "../network/mod.ts";
import type { NetworkOptions } from "../network/mod.ts";
import { resolveInRoot } from "../rootfs/resolve.ts";
import { checkMountTarget } from "../init/mounts.ts";
import type { TargetKind } from "../init/mounts.ts";
import {
  generateName,
  hostnameFromName,
  validateHostname,
  validateName,
} from "./names.ts";

/** The options of `tscontainer run`, as the CLI parsed them. */
export interface RunOptions {
  rootfs?: string;
  name?: string;
  hostname?: string;
  command: string[];
  env: string[];
  workdir: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  cgroupParent?: string;
  network: string;
  subnet?: string;
  ip?: string;
  publish: string[];
  overlay: boolean;
}

export interface RunConfig {
  name: string;
  hostname: string;
  /** Absolute, symlink-free path of the root filesystem (a real path). */
  rootfs: string;
  command: string[];
  env: string[];
  workdir: string;
  limits: ResourceLimits;
  cgroupParent?: string;
  network: NetworkOptions;
  overlay: boolean;
}

export const DEFAULT_COMMAND = ["/bin/sh"];

const DEFAULT_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Mount targets inside the rootfs that must not be symbolic links. */
const MOUNT_TARGETS: [string, TargetKind][] = [
  ["proc", "directory"],
  ["sys", "directory"],
  ["dev", "directory"],
  ["etc/hosts", "file"],
];

/**
 * Checks the root filesystem directory and returns its real path.
 * @throws {UsageError} when it is missing, not a directory, or the host's /.
 */
export function checkRootfs(path: string | undefined): string {
  const hint = "build one with `deno task rootfs` and pass --rootfs rootfs";
  if (!path) throw new UsageError("missing --rootfs DIR", { hint });
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new UsageError(`root filesystem ${JSON.stringify(path)} not found`, {
      hint,
    });
  }
  if (!Deno.statSync(real).isDirectory) {
    throw new UsageError(
      `root filesystem ${JSON.stringify(path)} is not a directory`,
      { hint },
    );
  }
  if (/^\/(proc|sys|dev)(\/|$)/.test(real)) {
    throw new UsageError(
      `root filesystem ${JSON.stringify(path)} is in the kernel's ${
        real.split("/")[1]
      } file system`,
      { hint },
    );
  }
  if (real === "/") {
    throw new UsageError(
      `root filesystem ${JSON.stringify(path)} is the host's /`,
      { hint: "give a directory that holds the container's files" },
    );
  }
  for (const [target, kind] of MOUNT_TARGETS) {
    checkMountTarget(real, target, kind);
  }
  return real;
}

/**
 * Checks that the default shell exists in the rootfs. An explicit command is
 * resolved by the init stage, which exits 127 or 126 as a shell would.
 */
function checkDefaultShell(rootfs: string): void {
  if (resolveInRoot(rootfs, DEFAULT_COMMAND[0])) return;
  throw new RuntimeError(
    `root filesystem ${rootfs} has no ${DEFAULT_COMMAND[0]}`,
    {
      hint:
        "give the command to run after --, or build a busybox rootfs with `deno task rootfs`",
    },
  );
}

/**
 * Rejects rootfs paths that the overlay mount options cannot carry: ","
 * separates options and ":" separates lower layers, so "/a:/b" would stack
 * two directories instead of naming one.
 * @throws {UsageError} naming the path and the way around it.
 */
function checkOverlayPath(rootfs: string): void {
  const bad = [...rootfs].find((char) => ",:\\".includes(char));
  if (bad === undefined) return;
  throw new UsageError(
    `root filesystem path ${JSON.stringify(rootfs)} contains ${
      JSON.stringify(bad)
    }, which overlay mount options cannot carry`,
    { hint: "rename or move the directory, or pass --no-overlay" },
  );
}

function checkEnv(entries: string[]): string[] {
  for (const entry of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry)) {
      throw new UsageError(
        `invalid environment variable ${JSON.stringify(entry)}`,
        {
          hint: "use --env NAME=VALUE",
        },
      );
    }
  }
  return entries;
}

/** Builds the container's environment: defaults first, then --env entries. */
export function containerEnv(hostname: string, extra: string[]): string[] {
  const defaults: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOME: "/root",
    HOSTNAME: hostname,
    TERM: Deno.env.get("TERM") ?? "xterm",
    // Interactive busybox sh reads this file: it sets the prompt.
    ENV: "/etc/profile",
  };
  for (const entry of extra) {
    const split = entry.indexOf("=");
    defaults[entry.slice(0, split)] = entry.slice(split + 1);
  }
  return Object.entries(defaults).map(([key, value]) => `${key}=${value}`);
}

function checkWorkdir(workdir: string): string {
  if (!workdir.startsWith("/")) {
    throw new UsageError(`invalid --workdir ${JSON.stringify(workdir)}`, {
      hint: "give an absolute path inside the container, such as /root",
    });
  }
  return workdir;
}

function parseLimits(options: RunOptions): ResourceLimits {
  return {
    memoryBytes: options.memory === undefined
      ? undefined
      : parseMemorySize(options.memory),
    cpus: options.cpus === undefined ? undefined : parseCpus(options.cpus),
    pidsLimit: options.pidsLimit === undefined
      ? undefined
      : parsePidsLimit(options.pidsLimit),
  };
}

function parseNetwork(options: RunOptions): NetworkOptions {
  if (options.network !== "bridge" && options.network !== "none") {
    throw new UsageError(
      `invalid --network ${JSON.stringify(options.network)}`,
      {
        hint: "use --network bridge (the default) or --network none",
      },
    );
  }
  const network: NetworkOptions = {
    mode: options.network,
    subnet: options.subnet,
    ip: options.ip,
    ports: options.publish.map(parsePortMapping),
  };
  validateNetworkOptions(network);
  return network;
}

/**
 * Checks --rootfs and returns its real path. When it is missing and a
 * command is given, the hint names the subcommands, in case the first word
 * was meant as one.
 * @throws {UsageError} or {RuntimeError} naming the path and the fix.
 */
function checkRootfsOption(options: RunOptions): string {
  if (options.rootfs === undefined && options.command.length > 0) {
    const word = JSON.stringify(options.command[0]);
    throw new UsageError("missing --rootfs DIR", {
      hint:
        `to run ${word} in a container, pass --rootfs DIR; if ${word} was meant as a tscontainer command, the commands are run, ps, stats, rm and kill`,
    });
  }
  const rootfs = checkRootfs(options.rootfs);
  if (options.overlay) checkOverlayPath(rootfs);
  return rootfs;
}

/**
 * Checks every option and returns the container's configuration.
 * @throws {UsageError} or {RuntimeError} naming the bad value and the fix.
 */
export function buildRunConfig(options: RunOptions): RunConfig {
  const name = options.name === undefined
    ? generateName()
    : validateName(options.name);
  const hostname = options.hostname === undefined
    ? hostnameFromName(name)
    : validateHostname(options.hostname);
  const limits = parseLimits(options);
  const network = parseNetwork(options);
  const env = containerEnv(hostname, checkEnv(options.env));
  const workdir = checkWorkdir(options.workdir);

  const rootfs = checkRootfsOption(options);
  const command = options.command.length > 0
    ? options.command
    : DEFAULT_COMMAND;
  if (options.command.length === 0) checkDefaultShell(rootfs);

  return {
    name,
    hostname,
    rootfs,
    command,
    env,
    workdir,
    limits,
    cgroupParent: options.cgroupParent,
    network,
    overlay: options.overlay,
  };
}
