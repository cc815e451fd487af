/**
 * Running a command on several containers, as `docker kill a b` does: a
 * failure on one name is reported and the others are still handled.
 */
import { EXIT_RUNTIME_ERROR } from "../errors.ts";
import { printError } from "../messages.ts";

/**
 * Calls `action` for each name, printing the error of each one that fails.
 * Returns 0 when all succeeded, else 125.
 */
export async function forEachContainer(
  names: string[],
  action: (name: string) => void | Promise<void>,
): Promise<number> {
  let failed = false;
  for (const name of names) {
    try {
      await action(name);
    } catch (error) {
      failed = true;
      printError(error);
    }
  }
  return failed ? EXIT_RUNTIME_ERROR : 0;
}
