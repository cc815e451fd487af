/**
 * Running a command on several containers, as `docker kill a b` does: a
 * failure on one name is reported and the others are still handled.
 */
import { errorMessage, EXIT_RUNTIME_ERROR, findHint } from "../errors.ts";

const encoder = new TextEncoder();

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
      const hint = findHint(error);
      Deno.stderr.writeSync(
        encoder.encode(
          `tscontainer: ${errorMessage(error)}\n` +
            (hint ? `tscontainer: hint: ${hint}\n` : ""),
        ),
      );
    }
  }
  return failed ? EXIT_RUNTIME_ERROR : 0;
}
