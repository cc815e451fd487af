/**
 * A container whose shell reads commands from a pipe held open by the demo.
 * busybox sh runs each line as soon as it arrives, so the demo can start a
 * server, look at the container from the host, and then run more commands.
 * Closing the pipe ends the shell, which is PID 1, and so the container.
 */
import type { Output } from "./output.ts";
import { DemoError, listContainers, REPO, ROOTFS } from "./runtime.ts";
import type { ContainerInfo, RuntimeCommand } from "./runtime.ts";
import { formatSeconds, settlesWithin, sleep } from "./timing.ts";

/** Options of a container that a scenario starts. */
export interface SessionOptions {
  name: string;
  hostname: string;
  /** More `run` options, such as ["--memory", "64m"]. */
  runArgs?: string[];
}

interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
}

/** The output and exit status of one command run by `exec`. */
export interface ExecResult {
  stdout: string[];
  status: number;
}

/** Marks the end of an `exec` command's output, with its exit status. */
const EXEC_MARKER = /^(.*)<demo-exec (\d+) status (\d+)>$/;

const LIST_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

export class ContainerSession {
  /** The container as `tscontainer ps` listed it once it had started. */
  info?: ContainerInfo;
  private readonly lines: OutputLine[] = [];
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly finished: Promise<void>;
  private exitStatus?: Deno.CommandStatus;
  private stdinClosed = false;
  private stdinBroken = false;
  private execCount = 0;
  /** Resolvers of `waitUntil` calls, called on each new line and on exit. */
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly out: Output,
    private readonly runtime: RuntimeCommand,
    readonly name: string,
    readonly hostname: string,
    private readonly child: Deno.ChildProcess,
  ) {
    this.writer = child.stdin.getWriter();
    this.finished = Promise.all([
      this.pump(child.stdout, "stdout"),
      this.pump(child.stderr, "stderr"),
      child.status,
    ]).then(([, , status]) => {
      this.exitStatus = status;
      this.notifyWaiters();
    });
  }

  /** Prints and starts `tscontainer run` with a shell that reads stdin. */
  static spawn(
    out: Output,
    runtime: RuntimeCommand,
    options: SessionOptions,
  ): ContainerSession {
    const args = [
      "run",
      "--rootfs",
      ROOTFS,
      "--name",
      options.name,
      "--hostname",
      options.hostname,
      ...options.runArgs ?? [],
    ];
    out.hostCommand(runtime.display, args);
    const child = new Deno.Command(runtime.program, {
      args: [...runtime.leadingArgs, ...args],
      cwd: REPO,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ContainerSession(
      out,
      runtime,
      options.name,
      options.hostname,
      child,
    );
  }

  /** True until the runtime process has exited and its output is read. */
  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The runtime's exit status, once it has exited. */
  get status(): Deno.CommandStatus | undefined {
    return this.exitStatus;
  }

  /**
   * Polls `tscontainer ps` until it lists the container with its PID 1.
   * @throws {DemoError} when the container exits first or does not show up.
   */
  async waitUntilListed(): Promise<ContainerInfo> {
    const deadline = performance.now() + LIST_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (!this.running) {
        throw new DemoError(
          `${this.name} exited with status ${this.status?.code} before tscontainer ps listed it`,
        );
      }
      const containers = await listContainers(this.runtime);
      const info = containers.find((entry) => entry.name === this.name);
      if (info && info.pid > 0) {
        this.info = info;
        return info;
      }
      await sleep(100);
    }
    throw new DemoError(
      `${this.name} did not appear in tscontainer ps within ${
        formatSeconds(LIST_TIMEOUT_MS)
      }`,
    );
  }

  /**
   * Returns the container's cgroup directories as `ps` listed them.
   * @throws {DemoError} when `ps` listed none.
   */
  cgroupPaths(): Record<string, string> {
    const paths = this.info?.cgroupPaths;
    if (!paths || Object.keys(paths).length === 0) {
      throw new DemoError(`tscontainer ps lists no cgroup for ${this.name}`);
    }
    return paths;
  }

  /** Sends one command line to the shell without waiting for it. */
  async send(command: string): Promise<void> {
    this.out.containerCommand(this.hostname, command);
    await this.write(`${command}\n`);
  }

  /**
   * Runs `command` in the shell and returns its stdout lines and exit
   * status. The lines include what background jobs print meanwhile. The
   * command must not read stdin, which carries the script.
   * @throws {DemoError} when the shell exits or the command times out.
   */
  async exec(command: string, timeoutMs = 10_000): Promise<ExecResult> {
    const id = String(++this.execCount);
    const start = this.lines.length;
    this.out.containerCommand(this.hostname, command);
    await this.write(`${command}\necho "<demo-exec ${id} status $?>"\n`);

    const end = await this.waitUntil(
      () => this.findMarker(id, start),
      timeoutMs,
      `\`${command}\` to finish`,
    );
    const stdout = this.lines.slice(start, end)
      .filter((line) => line.stream === "stdout")
      .map((line) => line.text);
    const marker = this.lines[end].text.match(EXEC_MARKER)!;
    if (marker[1] !== "") stdout.push(marker[1]);
    return { stdout, status: Number(marker[3]) };
  }

  /**
   * Waits for an output line matching `pattern` and returns the match.
   * @throws {DemoError} when the shell exits or no line matches in time.
   */
  waitFor(
    pattern: RegExp,
    stream: OutputLine["stream"] = "stdout",
    timeoutMs = 10_000,
  ): Promise<RegExpMatchArray> {
    return this.waitUntil(
      () => this.findLine(pattern, stream),
      timeoutMs,
      `a line matching ${pattern} on ${stream}`,
    );
  }

  /**
   * Stops the container: closes the shell's stdin, then sends SIGTERM to the
   * runtime, then SIGKILL to the container's PID 1, waiting after each step.
   * The runtime tears the container down in every case.
   * @throws {DemoError} when the runtime is still running after all three.
   */
  async stop(): Promise<Deno.CommandStatus> {
    await this.closeStdin();
    if (await settlesWithin(this.finished, STOP_GRACE_MS)) return this.status!;

    this.out.note(
      `${this.name} still runs after its stdin closed: sending SIGTERM to the runtime (pid ${this.child.pid})`,
    );
    this.terminateRuntime();
    if (await settlesWithin(this.finished, STOP_GRACE_MS)) return this.status!;

    this.killContainerInit();
    if (await settlesWithin(this.finished, STOP_GRACE_MS)) return this.status!;
    throw new DemoError(
      `${this.name} did not stop: its runtime (pid ${this.child.pid}) still runs`,
    );
  }

  private terminateRuntime(): void {
    try {
      this.child.kill("SIGTERM");
    } catch (error) {
      // Deno throws a TypeError when the process has already terminated.
      if (!(error instanceof TypeError)) throw error;
    }
  }

  /**
   * Sends SIGKILL to the container's PID 1, after checking through
   * /proc/PID/cgroup that the PID still belongs to this container.
   */
  private killContainerInit(): void {
    const pid = this.info?.pid;
    if (!pid) return;
    let cgroups: string;
    try {
      cgroups = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    if (!cgroups.includes(`/tscontainer/${this.name}\n`)) return;
    this.out.note(
      `${this.name} ignores SIGTERM: sending SIGKILL to its PID 1 (host pid ${pid})`,
    );
    try {
      Deno.kill(pid, "SIGKILL");
    } catch (error) {
      // ESRCH: PID 1 exited after the check.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  private async closeStdin(): Promise<void> {
    // A failed write has already errored the stream, so close would throw.
    if (this.stdinClosed || this.stdinBroken) return;
    this.stdinClosed = true;
    try {
      await this.writer.close();
    } catch (error) {
      // The pipe is already broken when the shell has exited.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }

  private async write(text: string): Promise<void> {
    try {
      await this.writer.write(new TextEncoder().encode(text));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      this.stdinBroken = true;
      throw new DemoError(`cannot send to ${this.name}: its shell has exited`);
    }
  }

  private async pump(
    stream: ReadableStream<Uint8Array>,
    name: OutputLine["stream"],
  ): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop()!;
      for (const text of parts) this.addLine(name, text);
    }
    if (pending !== "") this.addLine(name, pending);
  }

  private addLine(stream: OutputLine["stream"], text: string): void {
    this.lines.push({ stream, text });
    const marker = stream === "stdout" ? text.match(EXEC_MARKER) : null;
    if (!marker) this.out.outputLine(this.hostname, stream, text);
    else if (marker[1] !== "") {
      this.out.outputLine(this.hostname, stream, marker[1]);
    }
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private findMarker(id: string, start: number): number | undefined {
    for (let i = start; i < this.lines.length; i++) {
      const { stream, text } = this.lines[i];
      if (stream === "stdout" && text.match(EXEC_MARKER)?.[2] === id) return i;
    }
    return undefined;
  }

  private findLine(
    pattern: RegExp,
    stream: OutputLine["stream"],
  ): RegExpMatchArray | undefined {
    for (const line of this.lines) {
      const match = line.stream === stream ? line.text.match(pattern) : null;
      if (match) return match;
    }
    return undefined;
  }

  /** Waits until `find` returns a value, re-checking on each output line. */
  private async waitUntil<T>(
    find: () => T | undefined,
    timeoutMs: number,
    description: string,
  ): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      const found = find();
      if (found !== undefined) return found;
      if (!this.running) {
        throw new DemoError(
          `${this.name} exited with status ${this.status?.code} while the demo waited for ${description}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new DemoError(
          `timed out after ${
            formatSeconds(timeoutMs)
          } waiting in ${this.name} for ${description}`,
        );
      }
      const changed = new Promise<void>((resolve) => {
        this.waiters.push(resolve);
      });
      await settlesWithin(changed, left);
    }
  }
}
