/**
 * Address allocation. Each container's address is recorded in an `address`
 * file in its state directory. An address is taken while the container that
 * records it is live or its network namespace still exists, so the records of
 * runtimes that died free themselves once their network is cleaned up.
 *
 * Callers hold the global lock (`GLOBAL_LOCK`, the `.lock` file in the state
 * root) around `allocateAddress`, which makes reading the records and writing
 * the new one atomic across processes.
 */
import { join } from "node:path";
import { FileLock } from "../state/lock.ts";
import { netnsExists } from "./netns.ts";
import { RuntimeError, UsageError } from "../errors.ts";
import {
  broadcastOf,
  contains,
  formatIpv4,
  formatSubnet,
  gatewayOf,
  parseIpv4,
} from "./subnet.ts";
import type { Subnet } from "./subnet.ts";

/** Name of the allocation record in a container's state directory. */
export const ADDRESS_FILE = "address";

/** The state root of the records, and the rule for which records count. */
export interface AllocationScope {
  /** The state root, which contains one directory per container. */
  root: string;
  /** Returns true while the address recorded by container `name` is taken. */
  inUse: (name: string) => boolean;
}

/**
 * Returns the scope of a state root. A record counts while a runtime holds
 * the container's `lock` file, or while its network namespace exists: a
 * runtime that died without teardown leaves the address on a live interface.
 */
export function scopeOf(root: string): AllocationScope {
  return {
    root,
    inUse: (name) =>
      FileLock.isHeld(join(root, name, "lock")) || netnsExists(name),
  };
}

/** Reads one record, or returns undefined when it is absent or unreadable. */
function readRecord(directory: string): number | undefined {
  try {
    return parseIpv4(
      Deno.readTextFileSync(join(directory, ADDRESS_FILE)).trim(),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Returns the addresses recorded by containers other than `exclude` whose
 * records are in use, mapped to the container that uses each.
 */
export function readAllocations(
  scope: AllocationScope,
  exclude?: string,
): Map<number, string> {
  const used = new Map<number, string>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(scope.root)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return used;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || entry.name === exclude) continue;
    const address = readRecord(join(scope.root, entry.name));
    if (address !== undefined && scope.inUse(entry.name)) {
      used.set(address, entry.name);
    }
  }
  return used;
}

/** Names the reserved role of an address in the subnet, if it has one. */
function reservedRole(subnet: Subnet, address: number): string | undefined {
  if (address === subnet.network) return "the network address";
  if (address === gatewayOf(subnet)) return "the gateway address";
  if (address === broadcastOf(subnet)) return "the broadcast address";
  return undefined;
}

/**
 * Checks that a requested address (`--ip`) lies in the subnet and is not
 * reserved.
 *
 * @throws {UsageError} when it is invalid, outside the subnet or reserved
 */
export function checkRequestedAddress(subnet: Subnet, text: string): number {
  const address = parseIpv4(text);
  if (address === undefined) {
    throw new UsageError(
      `invalid --ip ${JSON.stringify(text)}: expected an IPv4 address`,
    );
  }
  if (!contains(subnet, address)) {
    throw new UsageError(
      `invalid --ip ${text}: it is outside the subnet ${formatSubnet(subnet)}`,
      { hint: "choose an address in the subnet, or omit --ip" },
    );
  }
  const role = reservedRole(subnet, address);
  if (role) {
    throw new UsageError(
      `invalid --ip ${text}: it is ${role} of ${formatSubnet(subnet)}`,
      { hint: "choose another address in the subnet, or omit --ip" },
    );
  }
  return address;
}

/** Returns the lowest address that is neither reserved nor in `used`. */
function findFreeAddress(
  subnet: Subnet,
  used: Map<number, string>,
): number | undefined {
  for (
    let address = gatewayOf(subnet) + 1;
    address < broadcastOf(subnet);
    address++
  ) {
    if (!used.has(address)) return address;
  }
  return undefined;
}

function pickAddress(
  subnet: Subnet,
  used: Map<number, string>,
  requested: string | undefined,
): number {
  if (requested !== undefined) {
    const address = checkRequestedAddress(subnet, requested);
    const owner = used.get(address);
    if (owner !== undefined) {
      throw new RuntimeError(
        `--ip ${requested} is already used by container ${
          JSON.stringify(owner)
        }`,
        { hint: "choose another address, or omit --ip to get a free one" },
      );
    }
    return address;
  }
  const address = findFreeAddress(subnet, used);
  if (address === undefined) {
    throw new RuntimeError(
      `no free address left in ${formatSubnet(subnet)}: ` +
        `${used.size} live containers use it`,
      { hint: "stop a container, or use a larger subnet" },
    );
  }
  return address;
}

/**
 * Allocates an address for container `name` and records it in
 * `<root>/<name>/address`, which must be a directory. The caller holds the
 * global lock. A requested address is checked instead of searched for.
 *
 * @returns the allocated address
 * @throws {UsageError} when `requested` is invalid, outside the subnet or reserved
 * @throws {RuntimeError} when `requested` is taken or the subnet is full
 */
export function allocateAddress(
  scope: AllocationScope,
  name: string,
  subnet: Subnet,
  requested?: string,
): number {
  const used = readAllocations(scope, name);
  const address = pickAddress(subnet, used, requested);
  const record = join(scope.root, name, ADDRESS_FILE);
  const temporary = `${record}.tmp`;
  Deno.writeTextFileSync(temporary, formatIpv4(address) + "\n");
  Deno.renameSync(temporary, record);
  return address;
}

/**
 * Deletes the allocation record in `stateDir`. An absent record is not an
 * error, so release is idempotent. The lock is not needed: an allocator that
 * still reads the record only skips a free address.
 */
export function releaseAddress(stateDir: string): void {
  try {
    Deno.removeSync(join(stateDir, ADDRESS_FILE));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
