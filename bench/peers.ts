/**
 * The peer runtimes and tools the bench compares against: which are
 * installed, their versions, and how to install the missing ones.
 */
import { findProgram, tryCapture } from "./process.ts";

export const PEER_NAMES = [
  "runc",
  "bwrap",
  "unshare",
  "podman",
  "hyperfine",
] as const;
export type PeerName = typeof PEER_NAMES[number];

export interface PeerInfo {
  name: PeerName;
  /** Absolute path, when installed and working. */
  path?: string;
  /** First line of its version output. */
  version?: string;
  /** Reason for skipping it, when it is missing or broken. */
  missing?: string;
  /** Command that installs it on Debian. */
  install: string;
}

export type Peers = Record<PeerName, PeerInfo>;

const DEBIAN_PACKAGES: Record<PeerName, string> = {
  runc: "runc",
  bwrap: "bubblewrap",
  unshare: "util-linux",
  podman: "podman",
  hyperfine: "hyperfine",
};

/** Programs a peer needs besides its own, with the package that has them. */
const REQUIRED_HELPERS: Partial<Record<PeerName, string[]>> = {
  // `podman --runtime runc` needs runc, and every podman container conmon.
  podman: ["conmon", "runc"],
};

async function versionOf(path: string): Promise<string | undefined> {
  const output = await tryCapture([path, "--version"]);
  return output?.trim().split("\n")[0];
}

async function detectPeer(name: PeerName): Promise<PeerInfo> {
  const install = `apt-get install -y ${DEBIAN_PACKAGES[name]}`;
  const path = findProgram(name);
  if (!path) return { name, install, missing: `${name} is not installed` };

  for (const helper of REQUIRED_HELPERS[name] ?? []) {
    if (!findProgram(helper)) {
      return {
        name,
        install,
        missing: `${helper}, which ${name} needs, is not installed`,
      };
    }
  }
  const version = await versionOf(path);
  if (!version) {
    return { name, install, missing: `${path} --version failed` };
  }
  return { name, path, version, install };
}

/** Detects every peer; a missing one is skipped with the reason. */
export async function detectPeers(): Promise<Peers> {
  const found = await Promise.all(PEER_NAMES.map(detectPeer));
  return Object.fromEntries(found.map((peer) => [peer.name, peer])) as Peers;
}

/** Returns true when `name` is installed and working. */
export function hasPeer(peers: Peers, name: PeerName): boolean {
  return peers[name].path !== undefined;
}

/** Returns the peer's path. @throws {Error} when it is missing. */
export function peerPath(peers: Peers, name: PeerName): string {
  const path = peers[name].path;
  if (!path) throw new Error(`${name} is missing: ${peers[name].missing}`);
  return path;
}
