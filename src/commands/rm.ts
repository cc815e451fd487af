/**
 * `tscontainer rm`: removes what a runtime that was killed (for example with
 * SIGKILL) left behind. A running container cannot be removed this way.
 */
import {
  reclaimStale,
  releaseName,
  reserveName,
} from "../container/reservation.ts";
import type { Reservation } from "../container/reservation.ts";
import { NAME_PATTERN } from "../container/names.ts";
import { requireRoot } from "../container/privileges.ts";
import { RuntimeError } from "../errors.ts";
import { Logger, stepAsync } from "../log.ts";
import { isLive, listStateNames } from "../state/store.ts";
import { forEachContainer } from "./each.ts";

const log = new Logger("rm");

/** Takes the name over, or explains why a live process holds it. */
function reserveStale(name: string): Reservation {
  if (isLive(name)) {
    throw new RuntimeError(`container ${JSON.stringify(name)} is running`, {
      hint:
        `stop it with \`tscontainer kill ${name}\`: rm removes only what a killed runtime left behind`,
    });
  }
  try {
    return reserveName(name);
  } catch (error) {
    throw new RuntimeError(
      `container ${
        JSON.stringify(name)
      } is busy: another tscontainer process took it over`,
      { hint: "check with `tscontainer ps`", cause: error },
    );
  }
}

async function removeOne(name: string): Promise<void> {
  if (!NAME_PATTERN.test(name) || !listStateNames().includes(name)) {
    throw new RuntimeError(`no such container: ${JSON.stringify(name)}`, {
      hint: "list containers with `tscontainer ps`",
    });
  }
  const reservation = reserveStale(name);
  try {
    await stepAsync(
      log,
      "reclaim stale container",
      { name },
      () => reclaimStale(reservation),
    );
  } catch (error) {
    // The state directory stays, so that rm can be tried again.
    reservation.lock.release();
    throw error;
  }
  releaseName(reservation);
}

/**
 * Removes the leftovers of each named stopped container and returns 0, or
 * 125 when any failed (each failure is printed).
 */
export function rmCommand(names: string[]): Promise<number> {
  requireRoot();
  return forEachContainer(names, removeOne);
}
