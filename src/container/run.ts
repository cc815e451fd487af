/**
 * The runtime side of `tscontainer run`: prepare the host, start the init
 * stage, wait for the container, and tear everything down.
 */
import { join } from "node:path";
import { ContainerCgroup, describeOomKills } from "../cgroup/mod.ts";
import {
  prepareNetwork,
  startPortForwarding,
  writeHostsFile,
} from "../network/mod.ts";
import type { ContainerNetwork } from "../network/mod.ts";
import { RuntimeError } from "../errors.ts";
import { printNotice } from "../messages.ts";
import { Logger, step, stepAsync } from "../log.ts";
import { DATA_ROOT, dataDirOf, writeStateFile } from "../state/store.ts";
import type { ContainerState } from "../state/store.ts";
import type { InitConfig, InitFailure, OverlayDirs } from "../init/config.ts";
import { requireRoot } from "./privileges.ts";
import { reclaimStale, releaseName, reserveName } from "./reservation.ts";
import type { Reservation } from "./reservation.ts";
import type { RunConfig } from "./run_config.ts";
import {
  createInitChannel,
  sendInitConfig,
  waitForExec,
} from "./init_channel.ts";
import type { InitChannel } from "./init_channel.ts";
import { SignalRelay } from "./signals.ts";
import { spawnInit } from "./spawn_init.ts";
import { Teardown } from "./teardown.ts";

const log = new Logger("runtime");

/** Host-side resources the runtime set up for the init stage. */
interface PreparedContainer {
  reservation: Reservation;
  cgroup: ContainerCgroup;
  network: ContainerNetwork;
  state: ContainerState;
  init: InitConfig;
}

/**
 * Creates empty overlay directories. Data left under the name by a runtime
 * that died is removed first: the reservation makes the name this runtime's,
 * and a stale upper directory would leak old files into the new container.
 */
function createOverlayDirs(name: string): OverlayDirs {
  const base = dataDirOf(name);
  Deno.mkdirSync(DATA_ROOT, { recursive: true, mode: 0o711 });
  try {
    Deno.removeSync(base, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const dirs = {
    upper: join(base, "upper"),
    work: join(base, "work"),
    merged: join(base, "merged"),
  };
  for (const dir of Object.values(dirs)) {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return dirs;
}

function removeDataDir(name: string): void {
  Deno.removeSync(dataDirOf(name), { recursive: true });
}

function initialState(config: RunConfig, initPid: number): ContainerState {
  return {
    name: config.name,
    pid: 0,
    initPid,
    runtimePid: Deno.pid,
    hostname: config.hostname,
    rootfs: config.rootfs,
    command: config.command,
    createdAt: new Date().toISOString(),
    limits: config.limits,
  };
}

/** Reserves the container's name, reclaiming what a dead runtime left. */
async function reserveContainer(
  config: RunConfig,
  teardown: Teardown,
): Promise<Reservation> {
  const { name } = config;
  const reservation = step(
    log,
    "reserve name",
    { name },
    () => reserveName(name),
  );
  teardown.add("remove state directory", () => releaseName(reservation));
  if (reservation.reclaimed) {
    await stepAsync(
      log,
      "reclaim stale container",
      { name },
      () => reclaimStale(reservation),
    );
  }
  return reservation;
}

/** Prepares the host side, registering an undo action after each step. */
async function prepareHost(
  config: RunConfig,
  reservation: Reservation,
  stage: { channel: InitChannel; pid: number },
  teardown: Teardown,
): Promise<PreparedContainer> {
  const { name } = config;
  const state = initialState(config, stage.pid);
  const overlay = config.overlay
    ? step(
      log,
      "create overlay dirs",
      { dir: dataDirOf(name) },
      () => createOverlayDirs(name),
    )
    : undefined;
  if (overlay) teardown.add("remove overlay dirs", () => removeDataDir(name));

  const cgroup = step(
    log,
    "create cgroup",
    {},
    () =>
      ContainerCgroup.create(name, config.limits, {
        parent: config.cgroupParent,
        // Recorded first, so cleanup after a killed runtime finds them.
        beforeCreate: (paths) => {
          state.cgroupPaths = paths;
          writeStateFile(reservation.dir, state);
        },
      }),
  );
  teardown.add("remove cgroup", () => cgroup.remove());

  const network = await stepAsync(log, "prepare network", {
    mode: config.network.mode,
  }, () => prepareNetwork(name, reservation.dir, config.network));
  teardown.add("remove network", () => network.remove());
  state.network = network.state;
  writeStateFile(reservation.dir, state);

  const hostsFile = step(
    log,
    "write hosts file",
    {},
    () =>
      writeHostsFile(reservation.dir, config.hostname, network.state.address),
  );
  const init: InitConfig = {
    name,
    rootfs: config.rootfs,
    overlay,
    hostname: config.hostname,
    netnsPath: network.netnsPath,
    hostsFile,
    cgroupJoinFiles: cgroup.joinFiles,
    command: config.command,
    env: config.env,
    workdir: config.workdir,
    errorFile: join(reservation.dir, "init-error"),
    execFifo: stage.channel.exec,
  };
  return { reservation, cgroup, network, state, init };
}

/** Ends the init stage if it still runs, when setup fails after its start. */
async function stopInit(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Deno throws when the process has already exited: nothing to stop.
  }
  await child.status;
}

/** Returns the setup failure the init stage recorded, if any. */
function readInitFailure(path: string): InitFailure | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return text.trim() ? JSON.parse(text) : undefined;
}

/** Turns the container's end into the runtime's exit status. */
function finishContainer(
  prepared: PreparedContainer,
  status: Deno.CommandStatus,
  started: boolean,
): number {
  const failure = readInitFailure(prepared.init.errorFile);
  if (failure) {
    throw new RuntimeError(failure.message, {
      hint: failure.hint,
      exitCode: failure.exitCode,
    });
  }
  if (!started) {
    const ending = status.signal
      ? `killed by ${status.signal}`
      : `status ${status.code}`;
    throw new RuntimeError(
      `the init stage ended (${ending}) before it started the command`,
      { hint: "rerun with --log-level debug to see the last step it took" },
    );
  }
  const kills = prepared.cgroup.oomKills();
  if (kills > 0) {
    const report = describeOomKills(kills, prepared.state.limits?.memoryBytes);
    // A report for the user, as docker prints one, rather than a log line.
    printNotice(`container ${prepared.state.name}: ${report}`);
  }
  log.debug("container exited", {
    code: status.code,
    signal: status.signal ?? undefined,
  });
  return status.code;
}

/**
 * Starts the init stage early, so that Deno boots there while the runtime
 * prepares the cgroups and the network, and registers its removal.
 */
function startInit(
  reservation: Reservation,
  teardown: Teardown,
): { child: Deno.ChildProcess; channel: InitChannel; exited: () => boolean } {
  const channel = step(
    log,
    "create init channel",
    {},
    () => createInitChannel(reservation.dir),
  );
  const child = spawnInit(log, channel.config);
  let exited = false;
  child.status.then(() => exited = true);
  teardown.add("stop init stage", () => stopInit(child));
  return { child, channel, exited: () => exited };
}

/**
 * Runs a container to completion and returns its exit status: the command's
 * own, 128+N when a signal N killed it, 126 or 127 when it could not be
 * executed. Everything it set up is removed before it returns or throws.
 * @throws {RuntimeError} for a failure of the runtime (exit status 125).
 */
export async function runContainer(
  config: RunConfig,
  relay: SignalRelay = new SignalRelay(),
): Promise<number> {
  requireRoot();
  const teardown = new Teardown(log);
  try {
    const reservation = await reserveContainer(config, teardown);
    const { child, channel, exited } = startInit(reservation, teardown);
    const prepared = await prepareHost(config, reservation, {
      channel,
      pid: child.pid,
    }, teardown);
    await stepAsync(
      log,
      "send init configuration",
      {},
      () => sendInitConfig(channel.config, prepared.init, exited),
    );
    const started = await stepAsync(
      log,
      "wait for execve",
      {},
      () => waitForExec(channel.exec, child.status),
    );
    if (started === "exec") {
      relay.attach(child);
      prepared.state.pid = child.pid;
      writeStateFile(prepared.reservation.dir, prepared.state);
      startPortForwarding(prepared.network);
      log.debug("container started", { name: config.name, pid: child.pid });
    }
    const status = await child.status;
    return finishContainer(prepared, status, started === "exec");
  } finally {
    // Signals stay caught until teardown ends, so that a second Ctrl-C or
    // SIGTERM cannot stop the runtime halfway through it.
    await teardown.run();
    relay.close();
  }
}
