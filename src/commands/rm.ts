/**
 * `tscontainer rm`: removes what a runtime that was killed (for example with
 * SIGKILL) left behind. A running container cannot be removed this way.
 */
import {
  reclaimStale,
  releaseName,
  reserveName,
} from "../container/reservation.ts";
import { requireRoot } from "../container/run.ts";
import { RuntimeError } from "../errors.ts";
import { Logger, stepAsync } from "../log.ts";
import { isLive, listStateNames } from "../state/store.ts";

const log = new Logger("rm");

/**
 * Removes the leftovers of each named stopped container and returns 0.
 * @throws {RuntimeError} when a name is unknown or its container runs.
 */
export async function rmCommand(names: string[]): Promise<number> {
  requireRoot();
  const known = new Set(listStateNames());
  for (const name of names) {
    if (!known.has(name)) {
      throw new RuntimeError(`no such container: ${JSON.stringify(name)}`, {
        hint: "list containers with `tscontainer ps`",
      });
    }
    if (isLive(name)) {
      throw new RuntimeError(`container ${JSON.stringify(name)} is running`, {
        hint:
          `stop it with \`tscontainer kill ${name}\`: rm removes only what a killed runtime left behind`,
      });
    }
    const reservation = reserveName(name);
    try {
      await stepAsync(
        log,
        "reclaim stale container",
        { name },
        () => reclaimStale(reservation),
      );
    } finally {
      releaseName(reservation);
    }
  }
  return 0;
}
