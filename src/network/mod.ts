/**
 * Container networking: a network namespace `tsc-<name>` per container and,
 * in bridge mode, a veth pair to the bridge `tsc0`, an address from the
 * bridge's subnet and forwarders for published ports.
 *
 * A bridge-mode start runs two `ip` processes, plus one when it creates the
 * bridge; a `none`-mode start runs two; teardown runs one.
 */
import { basename, dirname, join } from "node:path";
import {
  errorMessage,
  findHint,
  findRuntimeError,
  RuntimeError,
} from "../errors.ts";
import { Logger, step, stepAsync } from "../log.ts";
import type { NetworkState } from "../state/store.ts";
import { withLock } from "../state/lock.ts";
import { findIp } from "./ip.ts";
import { BRIDGE_NAME, ensureBridge } from "./bridge.ts";
import { allocateAddress, releaseAddress, scopeOf } from "./ipam.ts";
import {
  createIsolatedNamespace,
  linkExists,
  netnsExists,
  netnsNameOf,
  netnsPathOf,
  removeNamespaceAndLink,
} from "./netns.ts";
import { subnetRequestOf, validateNetworkOptions } from "./options.ts";
import type { NetworkOptions } from "./options.ts";
import { PortForwarder } from "./ports.ts";
import { formatIpv4, gatewayOf } from "./subnet.ts";
import type { Subnet } from "./subnet.ts";
import {
  configureContainerEnd,
  createVethPair,
  hostVethNameOf,
} from "./veth.ts";
import type { VethPlan } from "./veth.ts";

export { BRIDGE_NAME } from "./bridge.ts";
export { renderHostsFile, writeHostsFile } from "./hosts.ts";
export { ipProcessCount } from "./ip.ts";
export { netnsNameOf, netnsPathOf } from "./netns.ts";
export { NETWORK_MODES, validateNetworkOptions } from "./options.ts";
export type { NetworkMode, NetworkOptions } from "./options.ts";
export { parsePortMapping } from "./ports.ts";
export type { PortMapping } from "./ports.ts";
export { DEFAULT_SUBNET, SUBNET_ENV } from "./subnet.ts";
export { hostVethNameOf } from "./veth.ts";

const logger = new Logger("network");

/** The network of one container, from `prepareNetwork` until `remove`. */
export interface ContainerNetwork {
  /** The network part of `state.json`, which `removeNetworkFromState` reads after a crash. */
  readonly state: NetworkState;
  /** /run/netns/tsc-<name>, which the init stage joins with setns(2). */
  readonly netnsPath: string;
  /**
   * Stops the forwarders, deletes the veth pair and the namespace, and frees
   * the address. Idempotent, and tolerant of parts already gone.
   */
  remove(): Promise<void>;
}

class PreparedNetwork implements ContainerNetwork {
  readonly netnsPath: string;

  constructor(
    readonly name: string,
    readonly stateDir: string,
    readonly state: NetworkState,
    readonly forwarder?: PortForwarder,
  ) {
    this.netnsPath = netnsPathOf(name);
  }

  async remove(): Promise<void> {
    this.forwarder?.close();
    await removeNetworkFromState(this.name, this.stateDir, this.state);
  }
}

/** Undo actions registered as setup steps succeed, run in reverse order. */
class UndoStack {
  #actions: { what: string; action: () => void | Promise<void> }[] = [];

  push(what: string, action: () => void | Promise<void>): void {
    this.#actions.push({ what, action });
  }

  /** Runs every action, newest first. Logs failures and carries on. */
  async run(): Promise<void> {
    for (const { what, action } of this.#actions.reverse()) {
      try {
        await action();
      } catch (error) {
        logger.warn(`undo failed: ${what}`, { error });
      }
    }
  }
}

/**
 * Checks that no namespace or host veth of this name is left from an earlier
 * run, because undoing a failed start would otherwise delete them.
 *
 * @throws {RuntimeError} naming the leftover and the command that removes it
 */
function checkNoLeftovers(name: string, hostVeth?: string): void {
  if (netnsExists(name)) {
    throw new RuntimeError(
      `network namespace ${netnsNameOf(name)} already exists`,
      {
        hint: `remove it if no container uses it: ip netns del ${
          netnsNameOf(name)
        }`,
      },
    );
  }
  if (hostVeth && linkExists(hostVeth)) {
    throw new RuntimeError(`network interface ${hostVeth} already exists`, {
      hint: `remove it if no container uses it: ip link del ${hostVeth}`,
    });
  }
}

/**
 * The last allocation started in this process. NOTE: flock(2) blocks the
 * JavaScript thread, so a second caller in the same process that waits for
 * the lock would stop the event loop that the first caller needs to finish.
 * Calls in one process therefore queue here before they take the lock.
 */
let allocationQueue: Promise<unknown> = Promise.resolve();

/** Ensures the bridge and allocates an address, under the global lock. */
function allocateUnderLock(
  name: string,
  stateDir: string,
  options: NetworkOptions,
): Promise<{ subnet: Subnet; address: number }> {
  const run = () => allocateLocked(name, stateDir, options);
  const result = allocationQueue.then(run, run);
  allocationQueue = result.catch(() => undefined);
  return result;
}

function allocateLocked(
  name: string,
  stateDir: string,
  options: NetworkOptions,
): Promise<{ subnet: Subnet; address: number }> {
  const root = dirname(stateDir);
  return withLock(join(root, ".lock"), async () => {
    const subnet = await stepAsync(
      logger,
      "ensure bridge",
      { bridge: BRIDGE_NAME },
      () => ensureBridge(subnetRequestOf(options)),
    );
    const address = step(
      logger,
      "allocate address",
      { name, ip: options.ip },
      () => allocateAddress(scopeOf(root), name, subnet, options.ip),
    );
    return { subnet, address };
  });
}

function stateOf(plan: VethPlan, forwarder: PortForwarder): NetworkState {
  return {
    mode: "bridge",
    netns: plan.netns,
    address: formatIpv4(plan.address),
    prefixLength: plan.prefixLength,
    gateway: formatIpv4(plan.gateway),
    hostVeth: plan.hostVeth,
    ports: forwarder.mappings.map(({ hostPort, containerPort }) => ({
      hostPort,
      containerPort,
    })),
  };
}

async function prepareBridged(
  name: string,
  stateDir: string,
  options: NetworkOptions,
  undo: UndoStack,
): Promise<PreparedNetwork> {
  const hostVeth = hostVethNameOf(name);
  checkNoLeftovers(name, hostVeth);

  const ports = options.ports.length;
  const forwarder = step(
    logger,
    "bind published ports",
    { ports },
    () => PortForwarder.bind(options.ports),
  );
  undo.push("close published ports", () => forwarder.close());

  const { subnet, address } = await allocateUnderLock(name, stateDir, options);
  undo.push("free the address", () => releaseAddress(stateDir));

  const plan: VethPlan = {
    netns: netnsNameOf(name),
    hostVeth,
    bridge: BRIDGE_NAME,
    address,
    prefixLength: subnet.prefixLength,
    gateway: gatewayOf(subnet),
  };
  // Registered first: a failing batch may have created part of the pair.
  undo.push("delete veth pair", () => removeNamespaceAndLink(name, hostVeth));
  const fields = { netns: plan.netns, hostVeth, address: formatIpv4(address) };
  await stepAsync(
    logger,
    "create veth pair",
    fields,
    () => createVethPair(plan),
  );
  await stepAsync(
    logger,
    "configure eth0",
    fields,
    () => configureContainerEnd(plan),
  );
  return new PreparedNetwork(
    name,
    stateDir,
    stateOf(plan, forwarder),
    forwarder,
  );
}

async function prepareIsolated(
  name: string,
  stateDir: string,
  undo: UndoStack,
): Promise<PreparedNetwork> {
  checkNoLeftovers(name);

  const netns = netnsNameOf(name);
  undo.push("delete network namespace", () => removeNamespaceAndLink(name));
  await stepAsync(
    logger,
    "create network namespace",
    { netns },
    () => createIsolatedNamespace(name),
  );
  return new PreparedNetwork(name, stateDir, { mode: "none", netns });
}

/** Wraps a failed step as a `RuntimeError` whose message names the step. */
function setupError(error: unknown): RuntimeError {
  return new RuntimeError(
    errorMessage(error),
    {
      hint: findHint(error) ??
        "run with --log-level debug to see the failed step and its ip commands",
      cause: error,
      exitCode: findRuntimeError(error)?.exitCode,
    },
  );
}

/**
 * Creates the container's network namespace `tsc-<name>` with `lo` up.
 *
 * In bridge mode it first binds the published ports, so that a port in use
 * fails before anything is created. Then it creates the bridge `tsc0` on
 * first use and allocates an address. Last, it connects a veth pair whose
 * container end, `eth0`, gets the address and a default route through the
 * gateway.
 *
 * Call it while holding the container's state lock. The parent of
 * `stateDir` is the state root, whose `.lock` serialises allocation.
 * On failure it undoes what it created.
 *
 * @throws {UsageError} when the options are invalid
 * @throws {RuntimeError} with a hint when any step fails, such as a host port
 *   in use, a taken `--ip`, a full subnet, a conflicting tsc0, or `ip` missing
 */
export async function prepareNetwork(
  name: string,
  stateDir: string,
  options: NetworkOptions,
): Promise<ContainerNetwork> {
  validateNetworkOptions(options);
  if (basename(stateDir) !== name) {
    throw new TypeError(`state directory ${stateDir} is not named ${name}`);
  }
  // Fails early when `ip` is missing, before a port or address is taken.
  findIp();
  const undo = new UndoStack();
  try {
    return options.mode === "none"
      ? await prepareIsolated(name, stateDir, undo)
      : await prepareBridged(name, stateDir, options, undo);
  } catch (error) {
    await undo.run();
    throw setupError(error);
  }
}

/**
 * Starts forwarding the published ports to the container's address. Call it
 * once the container runs; `remove` stops it.
 *
 * @throws {TypeError} when `network` does not come from `prepareNetwork`
 */
export function startPortForwarding(network: ContainerNetwork): void {
  if (!(network instanceof PreparedNetwork)) {
    throw new TypeError(
      "startPortForwarding needs a network from prepareNetwork",
    );
  }
  if (network.forwarder && network.state.address) {
    network.forwarder.start(network.state.address);
  }
}

/**
 * Removes a container's network from its saved state, for a runtime that
 * died: deletes the veth pair (named from the container when the state lacks
 * it) and the namespace, and frees the address. Idempotent.
 *
 * @throws {RuntimeError} when `ip` fails and the veth or namespace is left
 */
export async function removeNetworkFromState(
  name: string,
  stateDir: string,
  state: NetworkState,
): Promise<void> {
  // Derived from the name, not read from the saved state: a damaged state
  // file must not make cleanup delete another interface.
  const hostVeth = hostVethNameOf(name);
  await stepAsync(
    logger,
    "remove network",
    { netns: state.netns, hostVeth },
    () => removeNamespaceAndLink(name, hostVeth),
  );
  releaseAddress(stateDir);
}
