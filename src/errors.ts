/**
 * Error classes of the runtime. Each carries the exit status the CLI ends
 * with: 125 for the runtime's own failures, as docker does.
 */

/** Exit status for a failure of the runtime itself. */
export const EXIT_RUNTIME_ERROR = 125;
/** Exit status when the container's command exists but cannot be executed. */
export const EXIT_NOT_EXECUTABLE = 126;
/** Exit status when the container's command is not found. */
export const EXIT_NOT_FOUND = 127;

export interface RuntimeErrorOptions {
  /** The next step for the user, printed on its own line. */
  hint?: string;
  cause?: unknown;
  exitCode?: number;
}

/** A failure of the runtime that the CLI reports with a message and a hint. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, options: RuntimeErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_RUNTIME_ERROR;
  }
}

/** Invalid input from the command line, rejected before any setup. */
export class UsageError extends RuntimeError {
  override name = "UsageError";
}

/** Returns the first `RuntimeError` in the cause chain of `error`. */
export function findRuntimeError(error: unknown): RuntimeError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 16; depth++) {
    if (current instanceof RuntimeError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** Returns the hint of the first error in the cause chain that has one. */
export function findHint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 16; depth++) {
    const hint = (current as { hint?: unknown }).hint;
    if (typeof hint === "string") return hint;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** Returns the exit status for an error thrown out of a command. */
export function exitCodeOf(error: unknown): number {
  return findRuntimeError(error)?.exitCode ?? EXIT_RUNTIME_ERROR;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
