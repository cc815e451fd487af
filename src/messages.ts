/**
 * Messages for the user on stderr, each line prefixed with "tscontainer:",
 * as opposed to the log lines of `log.ts`.
 */
import { errorMessage, findHint } from "./errors.ts";

const encoder = new TextEncoder();

/** Prints one line to stderr, prefixed with the program name. */
export function printNotice(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`tscontainer: ${text}\n`));
}

/** Prints an error's message and, when it has one, its hint. */
export function printError(error: unknown): void {
  printNotice(errorMessage(error));
  const hint = findHint(error);
  if (hint) printNotice(`hint: ${hint}`);
}
