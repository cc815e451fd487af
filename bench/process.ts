/**
 * Running programs for the bench: timed runs, captured output, long-running
 * children whose output is read line by line, and a registry of every child
 * still running so that cleanup can end them by pid.
 */

/**
 * Environment added to every program the bench starts. Deno's update check
 * would contact dl.deno.land, and the bench sends no traffic off the machine.
 */
export const BENCH_ENV: Record<string, string> = {
  DENO_NO_UPDATE_CHECK: "1",
  NO_COLOR: "1",
};

const decoder = new TextDecoder();

/** Outcome of one finished program. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit in milliseconds. */
  ms: number;
}

const running = new Set<Deno.ChildProcess>();
let stopping = false;

/** Options of `spawn`, `run`, `capture` and `tryCapture`. */
export interface SpawnOptions {
  stdout?: "piped" | "null";
  stderr?: "piped" | "null";
  /**
   * Lets the program start after `stopSpawning`: for cleanup commands and
   * the formatting of the report.
   */
  duringShutdown?: boolean;
}

/** Raised by `spawn` once the bench is stopping, so no benchmark goes on. */
export class BenchStoppingError extends Error {
  override name = "BenchStoppingError";
}

/**
 * Makes every later `spawn` throw, except with `duringShutdown`, so that a
 * benchmark still running after Ctrl-C starts no new container.
 */
export function stopSpawning(): void {
  stopping = true;
}

/**
 * Spawns `argv` and registers the child until it exits.
 * @throws {BenchStoppingError} after `stopSpawning`, unless `duringShutdown`
 *   is set.
 */
export function spawn(
  argv: string[],
  options: SpawnOptions = {},
): Deno.ChildProcess {
  if (stopping && !options.duringShutdown) {
    throw new BenchStoppingError(
      `the bench is stopping: ${argv[0]} not started`,
    );
  }
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
    env: BENCH_ENV,
  }).spawn();
  running.add(child);
  child.status.finally(() => running.delete(child));
  return child;
}

/** Runs `argv` to completion, capturing its output and timing it. */
export async function run(
  argv: string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(argv, { ...options, stderr: "piped" });
  const output = await child.output();
  const ms = performance.now() - started;
  return {
    code: output.code,
    signal: output.signal,
    stdout: options.stdout === "null" ? "" : decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    ms,
  };
}

/** Raised when a helper program the bench relies on fails. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** Returns the last lines of a program's output, for failure messages. */
export function tail(text: string, lines = 3): string {
  return text.trim().split("\n").slice(-lines).join(" | ");
}

/**
 * Runs `argv` and returns its standard output.
 * @throws {CommandError} when it exits with a non-zero status.
 */
export async function capture(
  argv: string[],
  options: SpawnOptions = {},
): Promise<string> {
  const result = await run(argv, { ...options, stdout: "piped" });
  if (result.code !== 0) {
    throw new CommandError(
      `${argv.join(" ")} failed with exit status ${result.code}: ${
        tail(result.stderr)
      }`,
    );
  }
  return result.stdout;
}

/** Runs `argv` and returns its output, or undefined when it fails. */
export async function tryCapture(
  argv: string[],
  options: SpawnOptions = {},
): Promise<string | undefined> {
  try {
    return await capture(argv, options);
  } catch (error) {
    if (
      error instanceof CommandError || error instanceof Deno.errors.NotFound
    ) {
      return undefined;
    }
    throw error;
  }
}

/** Finds `name` in PATH like a shell does, or returns undefined. */
export function findProgram(name: string): string | undefined {
  const path = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
  for (const dir of path.split(":").filter(Boolean)) {
    const candidate = `${dir}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return undefined;
}

/** Reads a child's standard output line by line, with timeouts. */
export class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #pending?: Promise<ReadableStreamReadResult<string>>;
  #buffer = "";
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Returns the next line, or undefined at end of stream.
   * @throws {Error} when no line arrives within `timeoutMs`.
   */
  async next(timeoutMs: number): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#buffer.includes("\n") && !this.#ended) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new Error(`no output line within ${timeoutMs} ms`);
      }
      // A read that loses the race stays pending and is awaited next time,
      // so no chunk is lost.
      this.#pending ??= this.#reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), remaining);
      });
      const chunk = await Promise.race([this.#pending, timeout]);
      clearTimeout(timer);
      if (chunk === "timeout") continue;
      this.#pending = undefined;
      if (chunk.done) this.#ended = true;
      else this.#buffer += chunk.value;
    }
    if (!this.#buffer) return undefined;
    const end = this.#buffer.indexOf("\n");
    const line = end < 0 ? this.#buffer : this.#buffer.slice(0, end);
    this.#buffer = end < 0 ? "" : this.#buffer.slice(end + 1);
    return line;
  }

  /**
   * Reads and discards the rest of the stream, so that a child that writes
   * more output does not block on a full pipe.
   */
  async drain(): Promise<void> {
    if (this.#ended) return;
    let chunk = await (this.#pending ?? this.#reader.read());
    while (!chunk.done) chunk = await this.#reader.read();
    this.#pending = undefined;
    this.#ended = true;
  }
}

/** Sends `signal` to a child if it still runs. */
export function signalChild(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
): void {
  try {
    child.kill(signal);
  } catch (error) {
    // Deno throws TypeError once the child has exited: nothing to signal.
    if (!(error instanceof TypeError)) throw error;
  }
}

/** Waits for a child's exit, or returns undefined after `timeoutMs`. */
export async function waitFor(
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<Deno.CommandStatus | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const status = await Promise.race([child.status, timeout]);
  clearTimeout(timer);
  return status;
}

/**
 * Stops a child: SIGTERM, then SIGKILL after `graceMs`. Returns its status.
 */
export async function stopChild(
  child: Deno.ChildProcess,
  graceMs = 10_000,
): Promise<Deno.CommandStatus> {
  signalChild(child, "SIGTERM");
  const status = await waitFor(child, graceMs);
  if (status) return status;
  signalChild(child, "SIGKILL");
  return await child.status;
}

/** Stops every child the bench started that still runs. */
export async function stopAllChildren(): Promise<number> {
  const children = [...running];
  await Promise.all(children.map((child) => stopChild(child, 5_000)));
  return children.length;
}

/** Quotes `argv` for a POSIX shell, for the commands shown in the report. */
export function shellQuote(argv: string[]): string {
  return argv.map((arg) =>
    /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
  ).join(" ");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
