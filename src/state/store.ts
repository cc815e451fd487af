/**
 * Runtime state of containers under /run/tscontainer/<name>/: a `state.json`
 * written atomically, and a `lock` file that the runtime process holds with
 * flock(2) for as long as the container runs. A state directory whose lock
 * can be taken belongs to a runtime that died, and is stale.
 */
import { join } from "node:path";
import { FileLock } from "./lock.ts";
import { RuntimeError } from "../errors.ts";
import { NAME_PATTERN } from "../container/names.ts";

/** Root of the per-container state directories; tests may override it. */
export const STATE_ROOT = Deno.env.get("TSC_STATE_ROOT") ?? "/run/tscontainer";
/** Root of persistent per-container data (overlay upper and work dirs). */
export const DATA_ROOT = Deno.env.get("TSC_DATA_ROOT") ??
  "/var/lib/tscontainer";

/** Lock serialising name reservation and address allocation. */
export const GLOBAL_LOCK = join(STATE_ROOT, ".lock");

export interface NetworkState {
  mode: "bridge" | "none";
  netns: string;
  address?: string;
  prefixLength?: number;
  gateway?: string;
  hostVeth?: string;
  ports?: { hostPort: number; containerPort: number }[];
}

/** The contents of `state.json`, for a running container. */
export interface ContainerState {
  name: string;
  /** Host PID of the container's PID 1; 0 until the command runs. */
  pid: number;
  /** Host PID of the init stage, which becomes PID 1 when it executes the command. */
  initPid?: number;
  /** PID of the runtime process that owns the container. */
  runtimePid: number;
  hostname: string;
  rootfs: string;
  command: string[];
  createdAt: string;
  network?: NetworkState;
  /** Container cgroup directories, keyed by hierarchy ("unified" or a v1 controller list). */
  cgroupPaths?: Record<string, string>;
  limits?: { memoryBytes?: number; cpus?: number; pidsLimit?: number };
}

export function stateDirOf(name: string): string {
  return join(STATE_ROOT, name);
}

export function dataDirOf(name: string): string {
  return join(DATA_ROOT, name);
}

/** Returns true when a runtime process holds the container's lock. */
export function isLive(name: string): boolean {
  return FileLock.isHeld(join(stateDirOf(name), "lock"));
}

/** Reads a container's state file. Throws `RuntimeError` when absent. */
export function readState(name: string): ContainerState {
  // A name is a path component here, so "../x" must not reach other files.
  if (!NAME_PATTERN.test(name)) {
    throw new RuntimeError(`no such container: ${JSON.stringify(name)}`, {
      hint: "container names match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}",
    });
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(join(stateDirOf(name), "state.json"));
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory
    ) {
      throw new RuntimeError(`no such container: ${JSON.stringify(name)}`, {
        hint: "list running containers with `tscontainer ps`",
        cause: error,
      });
    }
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(
      `the state file of container ${JSON.stringify(name)} is damaged`,
      {
        hint: `remove what it left with \`tscontainer rm ${name}\``,
        cause: error,
      },
    );
  }
}

/** Lists the names of all state directories, live or stale. */
export function listStateNames(): string[] {
  try {
    return [...Deno.readDirSync(STATE_ROOT)]
      .filter((entry) => entry.isDirectory)
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Reads the state of every live container; skips ones still starting. */
export function listLiveStates(): ContainerState[] {
  const states: ContainerState[] = [];
  for (const name of listStateNames()) {
    if (!isLive(name)) continue;
    try {
      states.push(readState(name));
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
    }
  }
  return states;
}

/** Writes `state.json` atomically: a temporary file renamed over the old one. */
export function writeStateFile(dir: string, state: ContainerState): void {
  const temporary = join(dir, "state.json.tmp");
  Deno.writeTextFileSync(temporary, JSON.stringify(state, null, 2) + "\n");
  Deno.renameSync(temporary, join(dir, "state.json"));
}

/** Reads a stale state file for cleanup, or returns undefined if unreadable. */
export function readStaleState(name: string): ContainerState | undefined {
  try {
    return readState(name);
  } catch {
    return undefined;
  }
}
