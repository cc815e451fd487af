/**
 * Reading and writing cgroup control files and directories. Every mkdir and
 * write is a logged step, and every failure becomes a `RuntimeError` that
 * names the file and the value.
 *
 * Writes never create files. A missing control file means that its
 * controller is not enabled, and the ENOENT error then reports that.
 */
import { join } from "node:path";
import { RuntimeError } from "../errors.ts";
import { Logger, step, StepError } from "../log.ts";

export const log = new Logger("cgroup");

/** Renders a file system error as "EINVAL (Invalid argument)". */
export function describeFsError(error: unknown): string {
  const cause = error instanceof StepError ? error.cause : error;
  if (!(cause instanceof Error)) return String(cause);
  const text = cause.message.replace(/ \(os error \d+\).*$/s, "");
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? `${code} (${text})` : text;
}

function errorCode(error: unknown): string | undefined {
  const cause = error instanceof StepError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

const WRITE_HINTS: Record<string, string> = {
  ENOENT: "the controller of this file is not enabled for this cgroup",
  EINVAL:
    "the kernel rejected the value, possibly because a parent cgroup's limit is lower",
  EBUSY:
    "on cgroup v2, a cgroup with processes cannot enable controllers for its children",
  EACCES: "run as root, with write access to the cgroup file system",
};

function writeError(file: string, value: string, error: unknown): RuntimeError {
  return new RuntimeError(
    `failed to write ${JSON.stringify(value)} to ${file}: ${
      describeFsError(error)
    }`,
    { hint: WRITE_HINTS[errorCode(error) ?? ""], cause: error },
  );
}

/**
 * Writes `value` to a control file, then reads it back and checks it with
 * `accepts`, because the kernel may round a value or ignore it.
 *
 * @throws {RuntimeError} naming the file and value when the write fails or
 * the value read back is not accepted.
 */
export function writeControl(
  file: string,
  value: string,
  accepts: (readBack: string) => boolean = (readBack) => readBack === value,
): void {
  let readBack = "";
  try {
    step(log, "cgroup write", { file, value }, () => {
      Deno.writeTextFileSync(file, value, { create: false });
      readBack = readControl(file);
    });
  } catch (error) {
    throw writeError(file, value, error);
  }
  if (!accepts(readBack)) {
    throw new RuntimeError(
      `wrote ${JSON.stringify(value)} to ${file} but it reads back as ${
        JSON.stringify(readBack)
      }`,
      { hint: "the kernel did not apply the value; check the parent cgroups" },
    );
  }
}

/**
 * Writes `value` to a write-only control file such as cgroup.kill.
 *
 * @throws {RuntimeError} naming the file and value when the write fails.
 */
export function writeOnlyControl(file: string, value: string): void {
  try {
    step(log, "cgroup write", { file, value }, () => {
      Deno.writeTextFileSync(file, value, { create: false });
    });
  } catch (error) {
    throw writeError(file, value, error);
  }
}

/** Reads a control file, without the trailing newline. Throws Deno errors. */
export function readControl(file: string): string {
  return Deno.readTextFileSync(file).trim();
}

/** Reads a control file, or returns undefined when it does not exist. */
export function readOptionalControl(file: string): string | undefined {
  try {
    return readControl(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Returns true when a control file exists, also a write-only one like cgroup.kill. */
export function controlExists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Parses a flat keyed file such as memory.stat (`key value` lines). */
export function parseKeyedValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

/** Reads one key of a flat keyed control file, or undefined when absent. */
export function readKeyedValue(file: string, key: string): number | undefined {
  return parseKeyedValues(readControl(file)).get(key);
}

/**
 * Creates a cgroup directory. Returns false when it already existed and
 * `existOk` is set.
 *
 * @throws {RuntimeError} naming the directory when mkdir fails, or when it
 * exists and `existOk` is not set.
 */
export function makeCgroupDir(dir: string, existOk: boolean): boolean {
  // The shared parent usually exists already: not worth a "failed" log line.
  if (existOk && controlExists(dir)) return false;
  try {
    step(log, "cgroup mkdir", { dir }, () => Deno.mkdirSync(dir));
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === "EEXIST" && existOk) return false;
    throw new RuntimeError(
      `failed to create cgroup ${dir}: ${describeFsError(error)}`,
      {
        hint: code === "EEXIST"
          ? "a container of that name is running or was not cleaned up; remove the directory with rmdir once it has no processes"
          : WRITE_HINTS[code ?? ""],
        cause: error,
      },
    );
  }
}

/**
 * Removes an empty cgroup directory. Returns false when it was already gone.
 * Throws the Deno error otherwise (`Deno.errors.Busy` while processes remain).
 */
export function removeCgroupDir(dir: string): boolean {
  if (!controlExists(dir)) return false;
  try {
    step(log, "cgroup rmdir", { dir }, () => Deno.removeSync(dir));
    return true;
  } catch (error) {
    const cause = error instanceof StepError ? error.cause : error;
    if (cause instanceof Deno.errors.NotFound) return false;
    throw cause;
  }
}

/**
 * Lists the PIDs in a cgroup's cgroup.procs. Returns an empty list when the
 * directory is gone.
 */
export function readPids(dir: string): number[] {
  const text = readOptionalControl(join(dir, "cgroup.procs")) ?? "";
  return text.split("\n").filter(Boolean).map(Number);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
