/** The demo's command-line options. */
import { parseArgs } from "node:util";

export interface DemoOptions {
  help: boolean;
  list: boolean;
  /** Scenario names given with --only, in the order given. */
  only: string[];
  keepGoing: boolean;
}

/** Invalid command-line input, reported in one line with exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE =
  `usage: deno task demo [--list] [--only NAME]... [--keep-going]

Demonstrates tscontainer with real containers, one scenario at a time, and
ends with a summary table. Needs root. Exits 0 only when every check held.

  --list         print the scenario names and exit
  --only NAME    run only the scenario NAME (repeatable)
  --keep-going   run the remaining scenarios after one fails
  -h, --help     print this help

Output is plain ASCII without colors when stdout is not a terminal or
NO_COLOR is set.`;

/**
 * Parses the demo's arguments and checks the --only names against `names`.
 * @throws {UsageError} for an unknown option or scenario name.
 */
export function parseDemoArgs(args: string[], names: string[]): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h", default: false },
        list: { type: "boolean", default: false },
        only: { type: "string", multiple: true, default: [] },
        "keep-going": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message} (see deno task demo --help)`);
  }
  for (const name of values.only) {
    if (names.includes(name)) continue;
    throw new UsageError(
      `unknown scenario ${JSON.stringify(name)} for --only: use one of ${
        names.join(", ")
      }`,
    );
  }
  return {
    help: values.help,
    list: values.list,
    only: values.only,
    keepGoing: values["keep-going"],
  };
}
