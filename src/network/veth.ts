/**
 * The veth pair that connects a container to the bridge: `tscv<8 hex>` on the
 * host, enslaved to the bridge, and `eth0` in the container's namespace.
 *
 * One start runs two `ip` batches: the host batch creates the namespace and
 * the pair, with the container end created directly inside the namespace,
 * and the namespace batch configures `lo` and `eth0`. Two are needed because
 * a batch cannot change namespace between commands, and a peer created in
 * another namespace cannot be given a master or an address on creation.
 */
import { runIpBatch } from "./ip.ts";
import { formatIpv4 } from "./subnet.ts";

/** Name of the container end inside the namespace. */
export const CONTAINER_INTERFACE = "eth0";

/**
 * MTU of tsc0 and of both ends of each veth pair. tsc0 is a host-only
 * network, so its frames never cross a 1500-byte link. Large frames bring
 * host-to-container TCP close to loopback: on the build machine a 1 GiB
 * transfer ran at about 1.6 GiB/s with MTU 1500, at 4 to 5 GiB/s with this
 * MTU, and over loopback (MTU 65536) at 5 to 6 GiB/s. The veth maximum is
 * 65535; this value stays a little below it.
 */
export const NETWORK_MTU = 65520;

/** The interfaces and addresses of one container on the bridge. */
export interface VethPlan {
  netns: string;
  hostVeth: string;
  bridge: string;
  address: number;
  prefixLength: number;
  gateway: number;
}

/**
 * Returns the host end's name: `tscv` and the 32-bit FNV-1a hash of the
 * container name in 8 hex digits, within the kernel's 15-character limit.
 * Deriving it from the name lets teardown find it without saved state. FNV-1a
 * rather than SHA-256 keeps node:crypto, about 9 ms of module loading, off
 * the start path. Two names share a veth name with odds of 1 in 2^32, and
 * then the second start fails on `ip link add` with "File exists".
 */
export function hostVethNameOf(name: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return "tscv" + hash.toString(16).padStart(8, "0");
}

/**
 * Returns a locally administered MAC address that embeds an IPv4 address
 * (02:74 and the four octets), as docker derives 02:42:... addresses. When an
 * address is reused, neighbour entries that the host cached for it stay
 * valid, because the new interface gets the same MAC address.
 */
export function macAddressOf(address: number): string {
  const octets = formatIpv4(address).split(".").map(Number);
  return [0x02, 0x74, ...octets]
    .map((octet) => octet.toString(16).padStart(2, "0"))
    .join(":");
}

/** Returns the host batch: namespace, veth pair, port on the bridge. */
export function hostCommands(plan: VethPlan): string[] {
  const mac = macAddressOf(plan.address);
  return [
    `netns add ${plan.netns}`,
    `link add ${plan.hostVeth} mtu ${NETWORK_MTU} type veth peer name ` +
    `${CONTAINER_INTERFACE} netns ${plan.netns} address ${mac} mtu ${NETWORK_MTU}`,
    `link set ${plan.hostVeth} master ${plan.bridge} up`,
    // Idempotent: brings back a bridge that someone set down, and gives a
    // bridge made by an older version the current MTU.
    `link set ${plan.bridge} mtu ${NETWORK_MTU} up`,
  ];
}

/** Returns the namespace batch: `lo` and `eth0` up, address, default route. */
export function namespaceCommands(plan: VethPlan): string[] {
  const address = `${formatIpv4(plan.address)}/${plan.prefixLength}`;
  return [
    "link set lo up",
    `addr add ${address} brd + dev ${CONTAINER_INTERFACE}`,
    `link set ${CONTAINER_INTERFACE} up`,
    `route add default via ${
      formatIpv4(plan.gateway)
    } dev ${CONTAINER_INTERFACE}`,
  ];
}

/**
 * Creates the namespace and the veth pair, with the host end on the bridge.
 *
 * @throws {RuntimeError} when the `ip` batch fails
 */
export async function createVethPair(plan: VethPlan): Promise<void> {
  await runIpBatch(hostCommands(plan));
}

/**
 * Configures `lo` and `eth0` inside the namespace.
 *
 * @throws {RuntimeError} when the `ip` batch fails
 */
export async function configureContainerEnd(plan: VethPlan): Promise<void> {
  await runIpBatch(namespaceCommands(plan), plan.netns);
}
