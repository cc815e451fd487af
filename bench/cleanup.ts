/**
 * Removing everything a bench run created: its children, its runc and
 * podman containers, whatever its tscontainer containers left behind, its
 * probe cgroups and its scratch directory. Only names that start with this
 * run's prefix are touched, so other users' containers stay as they are.
 */
import { join } from "node:path";
import { NAME_PREFIX } from "./context.ts";
import { cgroupMounts } from "./procfs.ts";
import { progress } from "./progress.ts";
import {
  run,
  stopAllChildren,
  stopSpawning,
  tail,
  tryCapture,
} from "./process.ts";

const TSC_STATE_DIR = "/run/tscontainer";
const TSC_DATA_DIR = "/var/lib/tscontainer";

/** Findings and actions of cleanup, for the report. */
export interface CleanupReport {
  /** Things removed that belong to peers or to the bench itself. */
  removed: string[];
  /** tscontainer leftovers: a bug in the runtime, removed by the bench. */
  leaks: string[];
  /** Removals that failed. */
  failures: string[];
}

function isOwnName(name: string): boolean {
  return name.startsWith(`${NAME_PREFIX}-`);
}

function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Finds `tscontainer/<name>` cgroup directories of this run's containers. */
function findOwnTscCgroups(): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isDirectory) continue;
      const path = join(dir, entry.name);
      if (dir.endsWith("/tscontainer") && isOwnName(entry.name)) {
        found.push(path);
      } else {
        visit(path, depth + 1);
      }
    }
  };
  for (const mount of cgroupMounts()) visit(mount.path, 0);
  return found;
}

/** Registry of what a run creates, and its removal. */
export class Cleanup {
  readonly tscontainers = new Set<string>();
  readonly runcIds = new Set<string>();
  readonly podmanNames = new Set<string>();
  readonly cgroupDirs: string[] = [];
  readonly scratchDirs: string[] = [];
  #report: CleanupReport = { removed: [], leaks: [], failures: [] };

  trackTscontainer(name: string): void {
    this.tscontainers.add(name);
  }

  trackRunc(id: string): void {
    this.runcIds.add(id);
  }

  trackPodman(name: string): void {
    this.podmanNames.add(name);
  }

  /** Registers a cgroup directory the bench made; removed innermost first. */
  trackCgroupDir(path: string): void {
    this.cgroupDirs.push(path);
  }

  trackScratchDir(path: string): void {
    this.scratchDirs.push(path);
  }

  async #attempt(what: string, argv: string[]): Promise<boolean> {
    const result = await run(argv, { duringShutdown: true });
    if (result.code === 0) return true;
    this.#report.failures.push(`${what}: ${tail(result.stderr)}`);
    return false;
  }

  async #removeRuncContainers(runc: string | undefined): Promise<void> {
    if (!runc || this.runcIds.size === 0) return;
    const listed =
      await tryCapture([runc, "list", "-q"], { duringShutdown: true }) ??
        "";
    for (const id of listed.split("\n").filter((line) => isOwnName(line))) {
      if (
        await this.#attempt(`runc delete ${id}`, [
          runc,
          "delete",
          "--force",
          id,
        ])
      ) {
        this.#report.removed.push(`runc container ${id}`);
      }
    }
  }

  async #removePodmanContainers(podman: string | undefined): Promise<void> {
    if (!podman || this.podmanNames.size === 0) return;
    const listed = await tryCapture([
      podman,
      "--cgroup-manager=cgroupfs",
      "ps",
      "-a",
      "--format",
      "{{.Names}}",
    ], { duringShutdown: true }) ?? "";
    for (const name of listed.split("\n").filter((line) => isOwnName(line))) {
      const argv = [
        podman,
        "--cgroup-manager=cgroupfs",
        "rm",
        "-f",
        "-t",
        "0",
        name,
      ];
      if (await this.#attempt(`podman rm ${name}`, argv)) {
        this.#report.removed.push(`podman container ${name}`);
      }
    }
  }

  /** Removes what tscontainer should have removed itself, as a leak. */
  async #removeTscLeftovers(): Promise<void> {
    const namespaces =
      await tryCapture(["ip", "netns", "list"], { duringShutdown: true }) ?? "";
    for (const line of namespaces.split("\n")) {
      const netns = line.split(" ")[0];
      const leaked = netns.startsWith(`tsc-${NAME_PREFIX}-`);
      // The bench's own probe namespaces are named without `tsc-`.
      if (!leaked && !isOwnName(netns)) continue;
      if (leaked) this.#report.leaks.push(`network namespace ${netns}`);
      else this.#report.removed.push(`probe network namespace ${netns}`);
      await this.#attempt(`ip netns del ${netns}`, [
        "ip",
        "netns",
        "del",
        netns,
      ]);
    }
    for (const base of [TSC_STATE_DIR, TSC_DATA_DIR]) {
      for (const name of listDir(base).filter(isOwnName)) {
        const entries = listDir(join(base, name)).join(", ") || "empty";
        this.#report.leaks.push(`directory ${join(base, name)} (${entries})`);
        this.#removeSync(join(base, name), true);
      }
    }
    for (const dir of findOwnTscCgroups()) {
      this.#report.leaks.push(`cgroup ${dir}`);
      this.#removeSync(dir, false);
    }
    const mountinfo = Deno.readTextFileSync("/proc/self/mountinfo");
    if (mountinfo.includes(NAME_PREFIX)) {
      this.#report.leaks.push(`a mount whose path contains ${NAME_PREFIX}`);
    }
  }

  #removeSync(path: string, recursive: boolean): void {
    try {
      Deno.removeSync(path, { recursive });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      this.#report.failures.push(`remove ${path}: ${String(error)}`);
    }
  }

  /**
   * Stops the bench's children, lets no new one start except cleanup
   * commands, and removes everything of this run. Never throws: failures
   * are listed in the returned report.
   */
  async run(
    tools: { runc?: string; podman?: string },
  ): Promise<CleanupReport> {
    stopSpawning();
    const steps: [string, () => Promise<void> | void][] = [
      ["running processes", async () => {
        const stopped = await stopAllChildren();
        if (stopped > 0) {
          this.#report.removed.push(`${stopped} running processes`);
        }
      }],
      ["runc containers", () => this.#removeRuncContainers(tools.runc)],
      ["podman containers", () => this.#removePodmanContainers(tools.podman)],
      ["tscontainer leftovers", () => this.#removeTscLeftovers()],
      ["probe cgroups", () => {
        for (const dir of [...this.cgroupDirs].reverse()) {
          this.#removeSync(dir, false);
        }
      }],
      ["scratch directories", () => {
        for (const dir of this.scratchDirs) this.#removeSync(dir, true);
      }],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.#report.failures.push(`${what}: ${String(error)}`);
      }
    }
    for (const line of this.#report.leaks) progress(`leftover: ${line}`);
    for (const line of this.#report.failures) {
      progress(`cleanup failed: ${line}`);
    }
    return this.#report;
  }
}
