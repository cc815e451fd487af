/**
 * Finds what a container leaves on the host, without connecting to it: its
 * network namespace and veth through `ip`, its cgroups through the cgroup
 * filesystem, its mounts, listening ports and the state and data
 * directories through /proc and the filesystem.
 */
import { DemoError } from "./runtime.ts";
import { sleep } from "./timing.ts";
import type { ContainerInfo } from "./runtime.ts";

/** A container that this run started, with what `ps` listed while it ran. */
export interface ContainerRecord {
  name: string;
  info?: ContainerInfo;
}

/** The traces of one container found on the host at the time of a probe. */
export interface ContainerTraces {
  netns: boolean;
  /** Whether the host end of its veth exists, or undefined when it had none. */
  veth?: boolean;
  cgroupDirs: string[];
  mounts: string[];
  stateDir: boolean;
  dataDir: boolean;
  /** Published host ports that still have a listening socket. */
  listeners: number[];
}

const CGROUP_WALK_DEPTH = 8;

async function runIp(args: string[]): Promise<string[]> {
  const output = await new Deno.Command("ip", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new DemoError(
      `ip ${args.join(" ")} failed: ${decoder.decode(output.stderr).trim()}`,
    );
  }
  return decoder.decode(output.stdout).split("\n").filter((line) => line);
}

/** Names of the network namespaces in `ip netns list`. */
export async function listNetns(): Promise<string[]> {
  return (await runIp(["netns", "list"])).map((line) => line.split(" ")[0]);
}

/** Names of the host's network interfaces, without the "@peer" suffix. */
export async function listLinks(): Promise<string[]> {
  return (await runIp(["-o", "link", "show"]))
    .map((line) => line.split(": ")[1].split("@")[0]);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Mount points of the cgroup hierarchies, from /proc/self/mountinfo. */
function cgroupMounts(): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(" ")[4]);
}

/** Finds every `tscontainer/<name>` directory in every cgroup hierarchy. */
function findCgroupDirs(name: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > CGROUP_WALK_DEPTH) return;
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isDirectory) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.name === name && dir.endsWith("/tscontainer")) found.push(path);
      else visit(path, depth + 1);
    }
  };
  for (const mount of cgroupMounts()) visit(mount, 0);
  return found;
}

/** Mount points that belong to the container: overlay, state or netns. */
function findMounts(name: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) =>
      point.includes(`/tscontainer/${name}/`) ||
      point.endsWith(`/tscontainer/${name}`) ||
      point.endsWith(`/netns/tsc-${name}`)
    );
}

/** Local ports of the TCP sockets in LISTEN state (st 0A in /proc/net/tcp*). */
function listListeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A") continue;
      ports.add(parseInt(fields[1].split(":")[1], 16));
    }
  }
  return ports;
}

/** Looks for everything of `record` on the host. */
export async function probeTraces(
  record: ContainerRecord,
): Promise<ContainerTraces> {
  const { name, info } = record;
  const hostVeth = info?.network?.hostVeth;
  const recordedDirs = Object.values(info?.cgroupPaths ?? {}).filter(exists);
  const listening = listListeningPorts();
  return {
    netns: (await listNetns()).includes(`tsc-${name}`),
    veth: hostVeth ? (await listLinks()).includes(hostVeth) : undefined,
    cgroupDirs: [...new Set([...recordedDirs, ...findCgroupDirs(name)])],
    mounts: findMounts(name),
    stateDir: exists(`/run/tscontainer/${name}`),
    dataDir: exists(`/var/lib/tscontainer/${name}`),
    listeners: (info?.network?.ports ?? []).map((port) => port.hostPort)
      .filter((port) => listening.has(port)),
  };
}

/**
 * Lists `tsc-` network namespaces and `tscv` links that no live container
 * owns. Other users' containers may be starting, and a starting container
 * has its veth before `ps` lists it, so only what is unowned in two probes
 * `recheckMs` apart counts.
 */
export async function findUnownedNetworkTraces(
  listLive: () => Promise<ContainerInfo[]>,
  recheckMs: number,
): Promise<string[]> {
  const first = await probeUnowned(await listLive());
  if (first.length === 0) return [];
  await sleep(recheckMs);
  const second = await probeUnowned(await listLive());
  return first.filter((trace) => second.includes(trace));
}

async function probeUnowned(live: ContainerInfo[]): Promise<string[]> {
  const ownedNetns = new Set(live.map((info) => `tsc-${info.name}`));
  const ownedLinks = new Set(live.map((info) => info.network?.hostVeth));
  const netns = (await listNetns())
    .filter((ns) => ns.startsWith("tsc-") && !ownedNetns.has(ns))
    .map((ns) => `network namespace ${ns}`);
  const links = (await listLinks())
    .filter((link) => link.startsWith("tscv") && !ownedLinks.has(link))
    .map((link) => `veth ${link}`);
  return [...netns, ...links];
}
