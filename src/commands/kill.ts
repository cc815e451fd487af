/**
 * `tscontainer kill`: sends a signal to the PID 1 of running containers, as
 * `docker kill` does. The runtime of each then tears the container down.
 */
import { constants } from "node:os";
import { requireRoot } from "../container/run.ts";
import { RuntimeError, UsageError } from "../errors.ts";
import { isLive, readState } from "../state/store.ts";

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

/**
 * Sends `signal` to each named container's PID 1 and returns 0.
 * @throws {RuntimeError} when a container is unknown, stopped or starting.
 */
export function killCommand(names: string[], signalText: string): number {
  requireRoot();
  const signal = parseSignal(signalText);
  for (const name of names) {
    const state = readState(name);
    if (!isLive(name)) {
      throw new RuntimeError(
        `container ${JSON.stringify(name)} is not running`,
        {
          hint: `remove what it left with \`tscontainer rm ${name}\``,
        },
      );
    }
    if (state.pid <= 0) {
      throw new RuntimeError(
        `container ${JSON.stringify(name)} is still starting`,
        { hint: "try again in a moment" },
      );
    }
    Deno.kill(state.pid, signal);
  }
  return 0;
}
