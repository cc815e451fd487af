/**
 * The logger shared by the runtime process and the init stage.
 *
 * Every line goes synchronously to stderr. NOTE: after the init stage changes
 * namespaces, asynchronous I/O runs on pool threads that stay in the old
 * namespaces and root, so this module never uses it.
 *
 * A line reads `  12.4ms debug init: mount proc target=/proc took=0.3ms`. The
 * elapsed time counts from the start of the runtime process, also in the init
 * stage, which receives that origin in TSC_LOG_ORIGIN, so the lines of both
 * processes form one timeline.
 */

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** Environment variables that carry the log settings into the init stage. */
export const LOG_LEVEL_ENV = "TSC_LOG_LEVEL";
export const LOG_ORIGIN_ENV = "TSC_LOG_ORIGIN";

export type LogFields = Record<string, unknown>;

const encoder = new TextEncoder();

let threshold: number = LOG_LEVELS.indexOf("warn");
let origin = performance.timeOrigin;

/** Returns true when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Sets the most verbose level that is printed. */
export function setLogLevel(level: LogLevel): void {
  threshold = LOG_LEVELS.indexOf(level);
}

export function getLogLevel(): LogLevel {
  return LOG_LEVELS[threshold];
}

/** Sets the epoch time in milliseconds from which line timestamps count. */
export function setLogOrigin(epochMs: number): void {
  origin = epochMs;
}

export function getLogOrigin(): number {
  return origin;
}

/** Returns true when lines of `level` are printed. */
export function isEnabled(level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= threshold;
}

/** Milliseconds elapsed since the log origin. */
export function elapsedMs(): number {
  return performance.timeOrigin + performance.now() - origin;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** Renders fields as space-separated `key=value` pairs. */
export function formatFields(fields: LogFields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(" ");
}

/**
 * Writes one line to stderr. A failed write (a closed pipe, for example) is
 * dropped, because logging must never interrupt setup or teardown.
 */
function writeLine(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  try {
    while (written < bytes.length) {
      written += Deno.stderr.writeSync(bytes.subarray(written));
    }
  } catch {
    // Nothing better to do with a log line that cannot be written.
  }
}

function emit(
  level: LogLevel,
  component: string,
  message: string,
  fields: LogFields,
): void {
  if (!isEnabled(level)) return;
  const time = `${elapsedMs().toFixed(1)}ms`.padStart(9);
  const rest = formatFields(fields);
  writeLine(
    `${time} ${level.padEnd(5)} ${component}: ${message}${
      rest ? " " + rest : ""
    }`,
  );
}

/** A logger bound to one component name, such as `runtime` or `init`. */
export class Logger {
  constructor(readonly component: string) {}

  error(message: string, fields: LogFields = {}): void {
    emit("error", this.component, message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    emit("warn", this.component, message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    emit("info", this.component, message, fields);
  }

  debug(message: string, fields: LogFields = {}): void {
    emit("debug", this.component, message, fields);
  }
}

/**
 * Wraps a step failure with the step's name, keeping the original error as
 * `cause` and its exit status.
 */
export class StepError extends Error {
  override name = "StepError";
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(
      `${step}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

function failStep(
  logger: Logger,
  name: string,
  fields: LogFields,
  started: number,
  error: unknown,
): never {
  const took = `${(performance.now() - started).toFixed(1)}ms`;
  logger.debug(`${name} failed`, { ...fields, took, error });
  if (error instanceof StepError) throw error;
  throw new StepError(name, error);
}

/**
 * Runs one synchronous setup step: logs it at debug level with its duration,
 * and on failure rethrows the error wrapped in a `StepError` naming the step.
 */
export function step<T>(
  logger: Logger,
  name: string,
  fields: LogFields,
  fn: () => T,
): T {
  const started = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    failStep(logger, name, fields, started, error);
  }
  const took = `${(performance.now() - started).toFixed(1)}ms`;
  logger.debug(name, { ...fields, took });
  return result;
}

/** Runs an asynchronous step, as `step` does, for host-side work in the runtime. */
export async function stepAsync<T>(
  logger: Logger,
  name: string,
  fields: LogFields,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    failStep(logger, name, fields, started, error);
  }
  const took = `${(performance.now() - started).toFixed(1)}ms`;
  logger.debug(name, { ...fields, took });
  return result;
}
