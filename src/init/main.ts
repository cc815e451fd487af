/**
 * The init stage: the runtime started again as PID 1 of the new PID
 * namespace. It builds the container around itself and then execs the
 * user's command, which takes its place as PID 1.
 *
 * NOTE: from the first namespace change on, only synchronous APIs are used:
 * Deno's asynchronous ops run on pool threads that keep the old namespaces.
 */
import {
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  O_CLOEXEC,
  O_CREAT,
  O_WRONLY,
} from "../../ffi/constants.ts";
import { libc, openReadOnly } from "../../ffi/libc.ts";
import type { Libc } from "../../ffi/libc.ts";
import {
  EXIT_RUNTIME_ERROR,
  findHint,
  findRuntimeError,
  RuntimeError,
} from "../errors.ts";
import {
  isLogLevel,
  LOG_LEVEL_ENV,
  LOG_ORIGIN_ENV,
  Logger,
  setLogLevel,
  setLogOrigin,
  step,
} from "../log.ts";
import { INIT_CHANNEL_ENV, RUNTIME_PID_ENV } from "./config.ts";
import { disableInspectorSignal } from "../container/signals.ts";
import type { InitConfig, InitFailure } from "./config.ts";
import { changeWorkdir, execCommand, resolveCommand } from "./exec.ts";
import {
  bindHostsFile,
  bindRootfs,
  makeRootPrivate,
  mountDev,
  mountDevPts,
  mountDevShm,
  mountMqueue,
  mountOverlayRoot,
  mountProc,
  mountSys,
  pivotIntoRootfs,
} from "./mounts.ts";

const log = new Logger("init");
const encoder = new TextEncoder();
const SIGKILL = 9;

function configureLogging(): void {
  const level = Deno.env.get(LOG_LEVEL_ENV);
  if (level && isLogLevel(level)) setLogLevel(level);
  const origin = Number(Deno.env.get(LOG_ORIGIN_ENV));
  if (Number.isFinite(origin) && origin > 0) setLogOrigin(origin);
}

/**
 * Exits when the runtime died before the parent death signal was set, which
 * would otherwise leave this process waiting for its configuration forever.
 * NOTE: /proc is still the host's here, so it shows host PIDs.
 */
function checkParentIsRuntime(): void {
  const expected = Number(Deno.env.get(RUNTIME_PID_ENV));
  const stat = Deno.readTextFileSync("/proc/self/stat");
  // The fields after the parenthesised command name: state, then ppid.
  const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  if (parent !== expected) {
    throw new Error(
      `the runtime (PID ${expected}) exited before the init stage started`,
    );
  }
}

/** Blocks until the runtime has written the configuration to the FIFO. */
function readConfig(): InitConfig {
  const channel = Deno.env.get(INIT_CHANNEL_ENV);
  if (!channel) throw new Error(`the init stage needs ${INIT_CHANNEL_ENV}`);
  return JSON.parse(Deno.readTextFileSync(channel));
}

function joinNetworkNamespace(sys: Libc, path: string): void {
  const fd = openReadOnly(path, sys);
  try {
    sys.setns(fd, CLONE_NEWNET, path);
  } finally {
    sys.close(fd);
  }
}

/** Opens each cgroup join file before pivot_root hides the host's /sys. */
function openCgroupJoinFiles(sys: Libc, files: string[]): number[] {
  return files.map((file) => sys.open(file, O_WRONLY | O_CLOEXEC));
}

/**
 * Moves this thread (v1 `tasks`) or process (v2 `cgroup.procs`) into the
 * container's cgroups; "0" means the writer. execve then leaves only this
 * thread.
 */
function joinCgroups(sys: Libc, fds: number[], files: string[]): void {
  fds.forEach((fd, index) => {
    sys.write(fd, encoder.encode("0"), files[index]);
    sys.close(fd);
  });
}

function mountRoot(sys: Libc, config: InitConfig): string {
  if (config.overlay) {
    try {
      mountOverlayRoot(sys, config.rootfs, config.overlay);
    } catch (error) {
      throw new RuntimeError(
        `overlayfs rejected ${config.rootfs} as the lower layer of the container's root`,
        {
          cause: error,
          hint:
            "use a plain directory on a disk filesystem such as ext4 or xfs, or pass --no-overlay",
        },
      );
    }
    return config.overlay.merged;
  }
  bindRootfs(sys, config.rootfs);
  return config.rootfs;
}

/** Signals 1 to 64 (standard and real-time), which Deno may ignore. */
const ALL_SIGNALS = Array.from({ length: 64 }, (_, index) => index + 1);
const SIGSTOP = 19;

/**
 * Gives the command default signal actions and an empty signal mask.
 * execve(2) keeps ignored signals ignored, and Deno ignores SIGPIPE, so
 * without this `yes | head -n1` in the container would not end on SIGPIPE.
 */
function resetSignals(sys: Libc): void {
  for (const signal of ALL_SIGNALS) {
    if (signal !== SIGKILL && signal !== SIGSTOP) sys.setSignalDefault(signal);
  }
  sys.unblockAllSignals();
}

/** Joins the network namespace and creates the other namespaces. */
function enterNamespaces(sys: Libc, config: InitConfig): void {
  // Joined before /sys is mounted, so sysfs shows the container's devices.
  step(
    log,
    "join network namespace",
    { path: config.netnsPath },
    () => joinNetworkNamespace(sys, config.netnsPath),
  );
  step(
    log,
    "unshare",
    { flags: "CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC" },
    () => sys.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC),
  );
  step(
    log,
    "set hostname",
    { hostname: config.hostname },
    () => sys.sethostname(config.hostname),
  );
}

/** Builds the new root while host paths are still reachable, and returns it. */
function prepareRoot(sys: Libc, config: InitConfig): string {
  // Before any other mount, or mounts could propagate to the host.
  step(log, "make / private", {}, () => makeRootPrivate(sys));
  const root = step(
    log,
    "mount rootfs",
    { rootfs: config.rootfs },
    () => mountRoot(sys, config),
  );
  const hostsFile = config.hostsFile;
  if (hostsFile) {
    step(
      log,
      "bind /etc/hosts",
      { source: hostsFile },
      () => bindHostsFile(sys, root, hostsFile),
    );
  }
  return root;
}

/** Mounts /proc, /sys and /dev inside the new root, after pivot_root. */
function mountKernelFilesystems(sys: Libc): void {
  step(log, "mount /proc", {}, () => mountProc(sys));
  step(log, "mount /sys", { options: "ro" }, () => mountSys(sys));
  step(log, "mount /dev", {}, () => mountDev(sys));
  step(log, "mount /dev/pts", {}, () => mountDevPts(sys));
  step(log, "mount /dev/shm", {}, () => mountDevShm(sys));
  step(log, "mount /dev/mqueue", {}, () => mountMqueue(sys));
}

/** Runs every setup step in order, then executes the command. */
function setupContainer(sys: Libc, config: InitConfig): never {
  enterNamespaces(sys, config);
  const root = prepareRoot(sys, config);
  const cgroupFds = step(log, "open cgroup join files", {
    count: config.cgroupJoinFiles.length,
  }, () => openCgroupJoinFiles(sys, config.cgroupJoinFiles));

  step(log, "pivot_root", { root }, () => pivotIntoRootfs(sys, root));
  mountKernelFilesystems(sys);
  step(
    log,
    "chdir",
    { path: config.workdir },
    () => changeWorkdir(sys, config.workdir),
  );
  const command = config.command[0];
  const path = step(
    log,
    "resolve command",
    { command },
    () => resolveCommand(command, config.env),
  );

  // Last before execve: memory is charged only from the moment of joining,
  // so the init stage's own memory stays outside a small limit.
  step(
    log,
    "join cgroups",
    { count: cgroupFds.length },
    () => joinCgroups(sys, cgroupFds, config.cgroupJoinFiles),
  );
  log.debug("execve", { path, argv: config.command });
  resetSignals(sys);
  return execCommand(sys, path, config.command, config.env);
}

function openErrorFile(sys: Libc, path: string): number {
  return sys.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600);
}

/** Records a setup failure for the runtime, which reports it once. */
function reportFailure(sys: Libc, fd: number, error: unknown): number {
  const runtimeError = findRuntimeError(error);
  const failure: InitFailure = {
    message: error instanceof Error ? error.message : String(error),
    hint: findHint(error),
    exitCode: runtimeError?.exitCode ?? EXIT_RUNTIME_ERROR,
  };
  if (fd >= 0) {
    sys.write(fd, encoder.encode(JSON.stringify(failure)));
  } else {
    log.error(failure.message);
  }
  return failure.exitCode;
}

/** Entry point of the hidden `init` command. Never returns. */
export function runInit(sys: Libc = libc): never {
  configureLogging();
  let errorFd = -1;
  try {
    // The init stage may wait long for its configuration on a busy host.
    step(log, "ignore SIGUSR1", {}, () => disableInspectorSignal(sys));
    // The runtime may die without tearing down: take the container with it.
    step(
      log,
      "set parent death signal",
      {},
      () => sys.setParentDeathSignal(SIGKILL),
    );
    step(log, "check the runtime is alive", {}, checkParentIsRuntime);
    const config = step(log, "read configuration", {}, readConfig);
    // Held open until execve closes it: the runtime reads that as the
    // start of the command.
    step(
      log,
      "open exec fifo",
      { path: config.execFifo },
      () => sys.open(config.execFifo, O_WRONLY | O_CLOEXEC),
    );
    errorFd = openErrorFile(sys, config.errorFile);
    return setupContainer(sys, config);
  } catch (error) {
    Deno.exit(reportFailure(sys, errorFd, error));
  }
}
