/**
 * `tscontainer kill`: sends a signal to the PID 1 of running containers, as
 * `docker kill` does. The runtime of each then tears the container down.
 */
import { constants } from "node:os";
import { requireRoot } from "../container/privileges.ts";
import { RuntimeError, UsageError } from "../errors.ts";
import { isLive, readState } from "../state/store.ts";
import type { ContainerState } from "../state/store.ts";
import { forEachContainer } from "./each.ts";

/**
 * Returns the Deno signal name for "KILL", "SIGKILL" or "9".
 * @throws {UsageError} for an unknown signal.
 */
export function parseSignal(text: string): Deno.Signal {
  const signals = constants.signals as Record<string, number>;
  const upper = text.toUpperCase();
  const name = /^\d+$/.test(text)
    ? Object.keys(signals).find((key) => signals[key] === Number(text))
    : upper.startsWith("SIG")
    ? upper
    : `SIG${upper}`;
  if (name === undefined || !(name in signals)) {
    throw new UsageError(`invalid signal ${JSON.stringify(text)}`, {
      hint: "give a name such as TERM or SIGKILL, or a number such as 9",
    });
  }
  return name as Deno.Signal;
}

function readProcFile(pid: number, file: string): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/${file}`);
  } catch {
    return undefined;
  }
}

/**
 * Returns the host PID to signal: the command once it runs, else the init
 * stage. Each is checked to still be the container's process, so that a
 * stale or damaged state file cannot direct a signal at another process.
 */
function targetPid(name: string, state: ContainerState): number {
  if (state.pid > 0) {
    const cgroups = readProcFile(state.pid, "cgroup") ?? "";
    if (cgroups.includes(`/tscontainer/${name}\n`)) return state.pid;
  } else if (state.initPid && state.initPid > 0) {
    const stat = readProcFile(state.initPid, "stat") ?? "";
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent === state.runtimePid) return state.initPid;
  }
  throw new RuntimeError(
    `container ${JSON.stringify(name)} has no process to signal`,
    { hint: "it may have just exited; check with `tscontainer ps`" },
  );
}

function killOne(name: string, signal: Deno.Signal): void {
  const state = readState(name);
  if (!isLive(name)) {
    throw new RuntimeError(`container ${JSON.stringify(name)} is not running`, {
      hint: `remove what it left with \`tscontainer rm ${name}\``,
    });
  }
  Deno.kill(targetPid(name, state), signal);
}

/**
 * Sends `signal` to each named container and returns 0, or 125 when any
 * failed (each failure is printed).
 * @throws {UsageError} for an unknown signal.
 */
export function killCommand(
  names: string[],
  signalText: string,
): Promise<number> {
  requireRoot();
  const signal = parseSignal(signalText);
  return forEachContainer(names, (name) => killOne(name, signal));
}
