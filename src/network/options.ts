/**
 * The network options of `run` and their checks, which are pure apart from
 * reading TSC_SUBNET and run before any setup.
 */
import { UsageError } from "../errors.ts";
import type { SubnetRequest } from "./bridge.ts";
import { checkRequestedAddress } from "./ipam.ts";
import { checkPortConflicts } from "./ports.ts";
import type { PortMapping } from "./ports.ts";
import { parseIpv4, parseSubnet, SUBNET_ENV } from "./subnet.ts";

export const NETWORK_MODES = ["bridge", "none"] as const;
export type NetworkMode = typeof NETWORK_MODES[number];

/** Network settings of one container. */
export interface NetworkOptions {
  /** `bridge`: a veth pair to tsc0. `none`: only `lo`. */
  mode: NetworkMode;
  /** `--subnet`: the bridge's subnet in CIDR form, used when tsc0 is created. */
  subnet?: string;
  /** `--ip`: a fixed address in the subnet. */
  ip?: string;
  /** `-p`: published TCP ports. */
  ports: PortMapping[];
}

/** Returns the subnet the user gave: `--subnet`, else TSC_SUBNET, if any. */
export function subnetRequestOf(
  options: NetworkOptions,
): SubnetRequest | undefined {
  if (options.subnet !== undefined) {
    return { text: options.subnet, source: "--subnet" };
  }
  const fromEnv = Deno.env.get(SUBNET_ENV);
  return fromEnv ? { text: fromEnv, source: SUBNET_ENV } : undefined;
}

function rejectWithNone(options: NetworkOptions): void {
  const conflicting = [
    options.subnet !== undefined ? "--subnet" : undefined,
    options.ip !== undefined ? "--ip" : undefined,
    options.ports.length > 0 ? "-p" : undefined,
  ].filter((option) => option !== undefined);
  if (conflicting.length > 0) {
    throw new UsageError(
      `${conflicting.join(", ")} cannot be used with --network none, which ` +
        `gives the container no interface other than lo`,
      { hint: `omit ${conflicting.join(", ")}, or use --network bridge` },
    );
  }
}

function checkAddressOption(options: NetworkOptions): void {
  if (options.ip === undefined) return;
  if (parseIpv4(options.ip) === undefined) {
    throw new UsageError(
      `invalid --ip ${JSON.stringify(options.ip)}: expected an IPv4 address ` +
        `such as 10.77.0.10`,
    );
  }
  const request = subnetRequestOf(options);
  if (request) {
    checkRequestedAddress(
      parseSubnet(request.text, request.source),
      options.ip,
    );
  }
}

/**
 * Checks the network options before any setup: the mode, the syntax and
 * range of `--subnet` (or TSC_SUBNET) and `--ip`, that `--ip` lies in a given
 * subnet, duplicate host ports, and options that `--network none` excludes.
 * Whether `--ip` is free and the subnet matches tsc0 is checked at setup.
 *
 * @throws {UsageError} naming the invalid option and value
 */
export function validateNetworkOptions(options: NetworkOptions): void {
  if (!(NETWORK_MODES as readonly string[]).includes(options.mode)) {
    throw new UsageError(
      `invalid --network ${JSON.stringify(options.mode)}: expected ` +
        NETWORK_MODES.join(" or "),
    );
  }
  if (options.mode === "none") return rejectWithNone(options);
  const request = subnetRequestOf(options);
  if (request) parseSubnet(request.text, request.source);
  checkAddressOption(options);
  checkPortConflicts(options.ports);
}
