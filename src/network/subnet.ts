/**
 * IPv4 addresses and CIDR subnets as plain numbers, so that address
 * arithmetic is integer arithmetic. Addresses are unsigned 32-bit values in
 * host order: 10.0.0.1 is 0x0a000001.
 */
import { UsageError } from "../errors.ts";

/**
 * Default container subnet. It avoids 10.88.0.0/16 and 10.89.0.0/16 (podman's
 * default and extra networks), 172.17.0.0/16 (docker), 10.42.0.0/16 and
 * 10.43.0.0/16 (k3s), and 10.96.0.0/12 (Kubernetes services).
 */
export const DEFAULT_SUBNET = "10.77.0.0/16";

/** Environment variable that sets the subnet when `--subnet` is not given. */
export const SUBNET_ENV = "TSC_SUBNET";

/** Shortest prefix accepted: a /8 already spans 16 million addresses. */
export const MIN_PREFIX_LENGTH = 8;
/** Longest prefix that still leaves one address beside the gateway. */
export const MAX_PREFIX_LENGTH = 30;

/** An IPv4 network in CIDR form. */
export interface Subnet {
  /** The network address, with all host bits zero. */
  readonly network: number;
  readonly prefixLength: number;
}

/** Ranges that can never hold container addresses. */
const RESERVED_RANGES: { cidr: string; use: string }[] = [
  { cidr: "0.0.0.0/8", use: '"this" network' },
  { cidr: "127.0.0.0/8", use: "loopback" },
  { cidr: "169.254.0.0/16", use: "link-local" },
  { cidr: "224.0.0.0/4", use: "multicast" },
  { cidr: "240.0.0.0/4", use: "reserved" },
];

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses dotted-decimal IPv4 text such as "10.77.0.2". Octets with leading
 * zeros are rejected, because some tools read them as octal.
 *
 * @returns the address as an unsigned 32-bit number, or undefined if invalid
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Formats an unsigned 32-bit number as dotted-decimal IPv4 text. */
export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
}

/** Returns the netmask of a prefix length as an unsigned 32-bit number. */
export function netmaskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Returns the number of addresses in the subnet, including the reserved ones. */
export function sizeOf(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefixLength);
}

/** Returns the gateway address: the first address after the network address. */
export function gatewayOf(subnet: Subnet): number {
  return subnet.network + 1;
}

/** Returns the broadcast address: the last address of the subnet. */
export function broadcastOf(subnet: Subnet): number {
  return subnet.network + sizeOf(subnet) - 1;
}

/** Returns true when `address` lies in `subnet`. */
export function contains(subnet: Subnet, address: number): boolean {
  return ((address & netmaskOf(subnet.prefixLength)) >>> 0) === subnet.network;
}

/** Returns true when the two subnets share at least one address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const shorter = a.prefixLength <= b.prefixLength ? a : b;
  const longer = shorter === a ? b : a;
  return contains(shorter, longer.network);
}

/** Formats a subnet as CIDR text, such as "10.77.0.0/16". */
export function formatSubnet(subnet: Subnet): string {
  return `${formatIpv4(subnet.network)}/${subnet.prefixLength}`;
}

/**
 * Parses CIDR text such as "10.77.0.0/16" without range checks. Host bits
 * must be zero, so a typo like "10.77.0.1/16" is not silently widened.
 *
 * @param source what the text came from, such as "--subnet", for messages
 * @throws {UsageError} when the text is not an IPv4 network in CIDR form
 */
export function parseCidr(text: string, source: string): Subnet {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  const address = match ? parseIpv4(match[1]) : undefined;
  const prefixLength = match ? Number(match[2]) : undefined;
  if (
    address === undefined || prefixLength === undefined || prefixLength > 32
  ) {
    throw new UsageError(
      `invalid ${source} ${JSON.stringify(text)}: expected an IPv4 network ` +
        `in CIDR form, such as ${DEFAULT_SUBNET}`,
    );
  }
  const network = (address & netmaskOf(prefixLength)) >>> 0;
  if (network !== address) {
    const suggestion = formatSubnet({ network, prefixLength });
    throw new UsageError(
      `invalid ${source} ${JSON.stringify(text)}: host bits are set`,
      { hint: `did you mean ${suggestion}?` },
    );
  }
  return { network, prefixLength };
}

/**
 * Parses a container subnet and checks that it can hold containers: a prefix
 * length from 8 to 30 and no overlap with loopback, link-local, multicast or
 * reserved ranges.
 *
 * @param source what the text came from, such as "--subnet", for messages
 * @throws {UsageError} naming the value when it is invalid or unusable
 */
export function parseSubnet(text: string, source: string): Subnet {
  const subnet = parseCidr(text, source);
  const { prefixLength } = subnet;
  if (prefixLength < MIN_PREFIX_LENGTH || prefixLength > MAX_PREFIX_LENGTH) {
    throw new UsageError(
      `invalid ${source} ${JSON.stringify(text)}: the prefix length must be ` +
        `from ${MIN_PREFIX_LENGTH} to ${MAX_PREFIX_LENGTH}, not ${prefixLength}`,
    );
  }
  for (const range of RESERVED_RANGES) {
    if (overlaps(subnet, parseCidr(range.cidr, "range"))) {
      throw new UsageError(
        `invalid ${source} ${JSON.stringify(text)}: it overlaps the ` +
          `${range.use} range ${range.cidr}`,
        { hint: `use a private range, such as ${DEFAULT_SUBNET}` },
      );
    }
  }
  return subnet;
}
