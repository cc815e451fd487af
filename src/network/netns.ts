/**
 * Network namespaces named `tsc-<name>`, created and deleted with `ip netns`,
 * which bind-mounts each one at /run/netns/<netns> so it outlives its
 * processes and can be joined with setns(2).
 */
import { runIpBatch } from "./ip.ts";

/** Directory where `ip netns add` bind-mounts network namespaces. */
export const NETNS_DIR = "/run/netns";

/** Returns the network namespace name of a container: `tsc-<name>`. */
export function netnsNameOf(name: string): string {
  return `tsc-${name}`;
}

/** Returns the path that the init stage opens to join the namespace. */
export function netnsPathOf(name: string): string {
  return `${NETNS_DIR}/${netnsNameOf(name)}`;
}

function pathExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Returns true when the network namespace of container `name` exists. */
export function netnsExists(name: string): boolean {
  return pathExists(netnsPathOf(name));
}

/** Returns true when a network interface of that name exists on the host. */
export function linkExists(interfaceName: string): boolean {
  return pathExists(`/sys/class/net/${interfaceName}`);
}

/**
 * Creates the network namespace of a container without other interfaces
 * than `lo`, and sets `lo` up. Two `ip` processes, because a batch cannot
 * change namespace between its commands.
 *
 * @throws {RuntimeError} when an `ip` command fails
 */
export async function createIsolatedNamespace(name: string): Promise<void> {
  const netns = netnsNameOf(name);
  await runIpBatch([`netns add ${netns}`]);
  await runIpBatch(["link set lo up"], netns);
}

/**
 * Deletes the host end of the veth pair (if given) and the network
 * namespace, skipping whichever is already gone. The host end is deleted
 * explicitly, with its peer, because the kernel frees a namespace and the
 * interfaces in it asynchronously after `ip netns del`.
 *
 * @throws {RuntimeError} when the `ip` batch fails and something is left
 */
export async function removeNamespaceAndLink(
  name: string,
  hostVeth?: string,
): Promise<void> {
  const lines = [];
  if (hostVeth && linkExists(hostVeth)) lines.push(`link del ${hostVeth}`);
  if (netnsExists(name)) lines.push(`netns del ${netnsNameOf(name)}`);
  try {
    await runIpBatch(lines);
  } catch (error) {
    // Another teardown of the same container may have won the race.
    const left = (hostVeth && linkExists(hostVeth)) || netnsExists(name);
    if (left) throw error;
  }
}
