/**
 * The host bridge `tsc0`, created on first use with the gateway address of
 * the container subnet. It stays after the last container, as docker0 does.
 */
import { RuntimeError } from "../errors.ts";
import { runIpBatch } from "./ip.ts";
import { linkExists } from "./netns.ts";
import {
  DEFAULT_SUBNET,
  formatIpv4,
  formatSubnet,
  gatewayOf,
  netmaskOf,
  overlaps,
  parseIpv4,
  parseSubnet,
} from "./subnet.ts";
import type { Subnet } from "./subnet.ts";
import { macAddressOf, NETWORK_MTU } from "./veth.ts";

export const BRIDGE_NAME = "tsc0";

const REMOVE_BRIDGE_HINT =
  `remove the bridge once no container uses it: ip link del ${BRIDGE_NAME}`;

/** A subnet given by the user, with where it came from for messages. */
export interface SubnetRequest {
  text: string;
  /** "--subnet" or the environment variable's name. */
  source: string;
}

/** Returns true when `tsc0` is a bridge: sysfs gives bridges a `bridge` directory. */
function isBridge(): boolean {
  try {
    return Deno.statSync(`/sys/class/net/${BRIDGE_NAME}/bridge`).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Reads the bridge's IPv4 address in CIDR form, or undefined if it has none. */
function readBridgeCidr(): string | undefined {
  return Deno.networkInterfaces().find((entry) =>
    entry.name === BRIDGE_NAME && entry.family === "IPv4"
  )?.cidr ?? undefined;
}

/** Returns the subnet of an interface address such as "10.77.0.1/16". */
function subnetOfCidr(cidr: string): { subnet: Subnet; address: number } {
  const [addressText, prefixText] = cidr.split("/");
  const address = parseIpv4(addressText) ?? 0;
  const prefixLength = Number(prefixText);
  const network = (address & netmaskOf(prefixLength)) >>> 0;
  return { subnet: { network, prefixLength }, address };
}

/**
 * Reads the subnet of the existing bridge from its gateway address.
 *
 * @throws {RuntimeError} when `tsc0` is not a bridge, has no IPv4 address,
 *   or its address is not the first host address of its subnet
 */
function readBridgeSubnet(): Subnet {
  if (!isBridge()) {
    throw new RuntimeError(
      `network interface ${BRIDGE_NAME} exists but is not a bridge`,
      { hint: `rename or delete it: ip link del ${BRIDGE_NAME}` },
    );
  }
  const cidr = readBridgeCidr();
  if (!cidr) {
    throw new RuntimeError(`bridge ${BRIDGE_NAME} has no IPv4 address`, {
      hint: REMOVE_BRIDGE_HINT,
    });
  }
  const { subnet, address } = subnetOfCidr(cidr);
  if (gatewayOf(subnet) !== address) {
    const expected = `${formatIpv4(gatewayOf(subnet))}/${subnet.prefixLength}`;
    throw new RuntimeError(
      `bridge ${BRIDGE_NAME} has address ${cidr}, but tscontainer expects ` +
        `the first address of the subnet, ${expected}`,
      { hint: REMOVE_BRIDGE_HINT },
    );
  }
  return subnet;
}

/**
 * Decodes a hexadecimal address from /proc/net/route, which prints the
 * network-order value as a host-order integer. NOTE: this assumes a
 * little-endian host, as every platform that Deno supports is.
 */
function decodeRouteHex(hex: string): number {
  const value = parseInt(hex, 16);
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) |
    ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

function prefixLengthOf(netmask: number): number {
  return netmask.toString(2).replace(/0/g, "").length;
}

/** A network of the host, with where it was found for messages. */
interface HostNetwork {
  subnet: Subnet;
  where: string;
}

/** Lists the destinations of the main routing table, except the default route. */
function readRoutes(): HostNetwork[] {
  const rows = Deno.readTextFileSync("/proc/net/route").trim().split("\n")
    .slice(1)
    .map((line) => line.split(/\s+/));
  const routes: HostNetwork[] = [];
  for (const [iface, destination, , , , , , mask] of rows) {
    const netmask = decodeRouteHex(mask);
    if (iface === BRIDGE_NAME || netmask === 0) continue;
    routes.push({
      subnet: {
        network: decodeRouteHex(destination),
        prefixLength: prefixLengthOf(netmask),
      },
      where: `a route on ${iface}`,
    });
  }
  return routes;
}

/** Lists the IPv4 addresses of interfaces other than `tsc0`, as /32 networks. */
function readInterfaceAddresses(): HostNetwork[] {
  return Deno.networkInterfaces()
    .filter((entry) => entry.family === "IPv4" && entry.name !== BRIDGE_NAME)
    .map((entry) => ({
      subnet: subnetOfCidr(`${entry.address}/32`).subnet,
      where: `the address of ${entry.name}`,
    }));
}

/**
 * Checks that the subnet overlaps no route or address of the host.
 *
 * @throws {RuntimeError} naming the overlapping route or interface
 */
function checkNoOverlap(subnet: Subnet, request?: SubnetRequest): void {
  const clash = [...readRoutes(), ...readInterfaceAddresses()]
    .find((host) => overlaps(subnet, host.subnet));
  if (!clash) return;
  const source = request ? `${request.source} ` : "default subnet ";
  throw new RuntimeError(
    `${source}${formatSubnet(subnet)} overlaps ${clash.where} ` +
      `(${formatSubnet(clash.subnet)})`,
    { hint: "choose a free private range with --subnet" },
  );
}

/**
 * Returns the commands that create the bridge with its gateway address.
 *
 * NOTE: with br_netfilter loaded, frames between two ports of tsc0 pass the
 * iptables FORWARD chain. A DROP policy there, which docker sets, blocks
 * container-to-container traffic, and this runtime adds no rule for it. The
 * fix is `iptables -I FORWARD -i tsc0 -o tsc0 -j ACCEPT`.
 */
export function bridgeCommands(subnet: Subnet): string[] {
  const gateway = gatewayOf(subnet);
  const address = `${formatIpv4(gateway)}/${subnet.prefixLength}`;
  // A fixed MAC address keeps the bridge's address from changing as ports
  // come and go, which would leave containers with a stale gateway entry.
  return [
    `link add ${BRIDGE_NAME} address ${
      macAddressOf(gateway)
    } mtu ${NETWORK_MTU} type bridge`,
    `addr add ${address} brd + dev ${BRIDGE_NAME}`,
    `link set ${BRIDGE_NAME} up`,
  ];
}

async function createBridge(subnet: Subnet): Promise<void> {
  try {
    await runIpBatch(bridgeCommands(subnet));
  } catch (error) {
    if (linkExists(BRIDGE_NAME)) await runIpBatch([`link del ${BRIDGE_NAME}`]);
    throw error;
  }
}

/**
 * Returns the subnet of `tsc0`, creating the bridge on first use with the
 * requested subnet or the default. The caller holds the global lock, so that
 * concurrent starts create the bridge once.
 *
 * @throws {UsageError} when the requested subnet is invalid
 * @throws {RuntimeError} when `tsc0` exists with another subnet or is not a
 *   bridge, when the subnet overlaps a host network, or when `ip` fails
 */
export async function ensureBridge(request?: SubnetRequest): Promise<Subnet> {
  const requested = request
    ? parseSubnet(request.text, request.source)
    : undefined;
  if (linkExists(BRIDGE_NAME)) {
    const existing = readBridgeSubnet();
    if (requested && formatSubnet(requested) !== formatSubnet(existing)) {
      throw new RuntimeError(
        `bridge ${BRIDGE_NAME} uses subnet ${formatSubnet(existing)}, not ` +
          `${formatSubnet(requested)} from ${request!.source}`,
        {
          hint: `omit ${request!.source} to use ${formatSubnet(existing)}, ` +
            `or ${REMOVE_BRIDGE_HINT}`,
        },
      );
    }
    return existing;
  }
  const subnet = requested ?? parseSubnet(DEFAULT_SUBNET, "default subnet");
  checkNoOverlap(subnet, request);
  await createBridge(subnet);
  return subnet;
}
