/** The machine and the tool versions, for the report's first section. */
import type { BenchContext } from "./context.ts";
import { MAIN, REPO } from "./context.ts";
import { PEER_NAMES } from "./peers.ts";
import { cgroupMounts } from "./procfs.ts";
import { tryCapture } from "./process.ts";

export interface MachineInfo {
  date: string;
  os: string;
  kernel: string;
  cpus: string;
  memory: string;
  cgroups: string;
  /** Load averages over 1, 5 and 15 minutes, at the start of the run. */
  loadAtStart: string;
  tools: { name: string; version: string }[];
}

function readOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return fallback;
  }
}

function osName(): string {
  const release = readOr("/etc/os-release", "");
  return release.match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? "unknown";
}

function cpuDescription(): string {
  const info = readOr("/proc/cpuinfo", "");
  const model = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown model";
  return `${navigator.hardwareConcurrency} × ${model}`;
}

/** Describes the cgroup layout: pure v2, v1 only, or hybrid. */
export function cgroupLayout(): string {
  const mounts = cgroupMounts();
  const v1 = mounts.filter((mount) => mount.fstype === "cgroup")
    .map((mount) => mount.path.replace("/sys/fs/cgroup/", ""));
  const v2 = mounts.filter((mount) => mount.fstype === "cgroup2")
    .map((mount) => mount.path);
  if (v1.length === 0) return `cgroup v2 (unified) at ${v2.join(", ")}`;
  const hybrid = v2.length > 0
    ? `hybrid: cgroup2 at ${v2.join(", ")} and `
    : "";
  return `${hybrid}cgroup v1 hierarchies ${v1.join(", ")}`;
}

async function firstLine(argv: string[]): Promise<string> {
  const output = await tryCapture(argv);
  return output?.trim().split("\n")[0] ?? "not available";
}

/** The program, or main.ts with its commit and uncommitted changes. */
async function tscontainerVersion(context: BenchContext): Promise<string> {
  if (context.options.tscontainer) return context.options.tscontainer;
  const git = ["git", "-C", REPO];
  const commit = await firstLine([...git, "rev-parse", "--short", "HEAD"]);
  const changes = await tryCapture([
    ...git,
    "status",
    "--porcelain",
    "--",
    "main.ts",
    "src",
    "ffi",
  ]);
  const dirty = changes?.trim()
    ? " with uncommitted changes in src/ or ffi/"
    : "";
  return `${MAIN} under Deno, commit ${commit}${dirty}`;
}

async function toolVersions(context: BenchContext) {
  const tools = [
    { name: "deno", version: `${Deno.version.deno} (V8 ${Deno.version.v8})` },
    { name: "tscontainer", version: await tscontainerVersion(context) },
    { name: "iproute2", version: await firstLine(["ip", "-V"]) },
  ];
  for (const name of PEER_NAMES) {
    const peer = context.peers[name];
    tools.push({ name, version: peer.version ?? `skipped: ${peer.missing}` });
  }
  if (context.peers.podman.path) {
    tools.push(
      { name: "conmon", version: await firstLine(["conmon", "--version"]) },
      {
        name: "podman network backend",
        version: await firstLine([
          context.peers.podman.path,
          "--cgroup-manager=cgroupfs",
          "info",
          "--format",
          "{{.Host.NetworkBackend}}",
        ]),
      },
    );
  }
  return tools;
}

/** Collects the machine's description and the tool versions. */
export async function describeMachine(
  context: BenchContext,
): Promise<MachineInfo> {
  const memory = Deno.systemMemoryInfo();
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    os: osName(),
    kernel: `${Deno.osRelease()} (${Deno.build.arch})`,
    cpus: cpuDescription(),
    memory: `${gib(memory.total)} GiB, swap ${gib(memory.swapTotal)} GiB`,
    cgroups: cgroupLayout(),
    loadAtStart: Deno.loadavg().map((load) => load.toFixed(2)).join(", "),
    tools: await toolVersions(context),
  };
}
