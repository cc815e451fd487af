/**
 * The container's /etc/hosts. The runtime writes it into the state directory
 * and the init stage bind-mounts it over /etc/hosts, so the shared root
 * filesystem on disk stays unchanged.
 */
import { join } from "node:path";

/** Name of the rendered file in the container's state directory. */
export const HOSTS_FILE = "hosts";

/**
 * Renders /etc/hosts: `localhost` for the IPv4 and IPv6 loopback addresses,
 * and the hostname on the container's address. Without an address
 * (`--network none`) the hostname goes on 127.0.1.1, as Debian does for hosts
 * without a permanent address, so that it still resolves.
 */
export function renderHostsFile(hostname: string, address?: string): string {
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${address ?? "127.0.1.1"}\t${hostname}`,
  ].join("\n") + "\n";
}

/**
 * Writes the rendered hosts file into `stateDir`.
 *
 * @returns the path of the file, for the init stage's bind mount
 * @throws {Deno.errors.NotFound} when `stateDir` does not exist
 */
export function writeHostsFile(
  stateDir: string,
  hostname: string,
  address?: string,
): string {
  const path = join(stateDir, HOSTS_FILE);
  Deno.writeTextFileSync(path, renderHostsFile(hostname, address));
  return path;
}
