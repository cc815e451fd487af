/**
 * Runs scenarios one after another. Each scenario gets a context that
 * records its checks, starts its containers and stops them when it ends,
 * whether it passed, failed a check or threw.
 */
import type { ContainerRecord } from "./leftovers.ts";
import type { Output } from "./output.ts";
import { DemoError } from "./runtime.ts";
import type { RuntimeCommand } from "./runtime.ts";
import { ContainerSession } from "./session.ts";
import type { SessionOptions } from "./session.ts";

/** One demonstration, named for `--only`. */
export interface Scenario {
  name: string;
  /** One line about what the scenario shows. */
  summary: string;
  run(context: ScenarioContext): Promise<void>;
}

export type Outcome = "pass" | "fail" | "skipped";

export interface ScenarioResult {
  name: string;
  outcome: Outcome;
  /** The key measurement, such as "killed at 62 MiB of 64 MiB". */
  figure: string;
  /** The reason the scenario failed or was skipped. */
  reason?: string;
}

/** The state that all scenarios of one demo run share. */
export interface DemoRun {
  out: Output;
  runtime: RuntimeCommand;
  /** A random 16-bit hex value in container names, so that two runs rarely collide. */
  suffix: string;
  /** Every container started so far, for the cleanup scenario. */
  started: ContainerRecord[];
}

export class ScenarioContext {
  /** The key figure for the summary table, which scenarios set as they measure. */
  figure = "";
  private readonly sessions: ContainerSession[] = [];
  private readonly failures: string[] = [];
  private checkCount = 0;

  constructor(readonly run: DemoRun) {}

  get out(): Output {
    return this.run.out;
  }

  /** Records and prints one check, and returns whether it passed. */
  check(passed: boolean, label: string, measured: string): boolean {
    this.checkCount++;
    if (!passed) this.failures.push(`${label}: ${measured}`);
    this.out.check(passed, label, measured);
    return passed;
  }

  /** Returns a container name for this run, such as "demo-mem-1a2b". */
  containerName(base: string): string {
    return `demo-${base}-${this.run.suffix}`;
  }

  /** Starts a container and waits until `tscontainer ps` lists it. */
  async startContainer(options: SessionOptions): Promise<ContainerSession> {
    const session = ContainerSession.spawn(
      this.out,
      this.run.runtime,
      options,
    );
    this.sessions.push(session);
    const record: ContainerRecord = { name: options.name };
    this.run.started.push(record);

    const info = await session.waitUntilListed();
    record.info = info;
    const address = info.network?.address ?? "none";
    this.out.line(
      `  tscontainer ps lists ${info.name}: PID 1 is host pid ${info.pid}, address ${address}`,
    );
    return session;
  }

  /**
   * Stops a container and checks that the runtime exited with status 0: the
   * shell's status, which is that of the last command the demo sent. A
   * failed teardown step does not change it, so the cleanup scenario looks
   * for leftovers on the host instead.
   */
  async stopContainer(session: ContainerSession): Promise<void> {
    const status = await session.stop();
    this.check(
      status.code === 0,
      `${session.name} ends with status 0`,
      `status ${status.code}`,
    );
  }

  /** Stops the containers still running, such as after a failed step. */
  async stopAll(): Promise<void> {
    for (const session of this.sessions) {
      if (session.running) await this.stopContainer(session);
    }
  }

  /** Records an error that ended the scenario early. */
  abort(error: unknown): void {
    // A DemoError carries a one-line reason. Anything else is a bug in the
    // demo, so its class name is kept.
    const message = error instanceof DemoError ? error.message : String(error);
    this.failures.push(message);
    this.out.check(false, "stopped early", message);
  }

  result(name: string): ScenarioResult {
    if (this.failures.length > 0) {
      return {
        name,
        outcome: "fail",
        figure: this.figure,
        reason: this.failures[0],
      };
    }
    if (this.checkCount === 0) {
      return { name, outcome: "fail", figure: "", reason: "no check ran" };
    }
    return { name, outcome: "pass", figure: this.figure };
  }
}

async function runOne(
  scenario: Scenario,
  run: DemoRun,
): Promise<ScenarioResult> {
  const context = new ScenarioContext(run);
  try {
    await scenario.run(context);
  } catch (error) {
    context.abort(error);
  } finally {
    try {
      await context.stopAll();
    } catch (error) {
      context.abort(error);
    }
  }
  return context.result(scenario.name);
}

function printOutcome(out: Output, result: ScenarioResult): void {
  const text = result.outcome === "pass"
    ? out.paint("green", `pass: ${result.figure}`)
    : out.paint("red", `FAIL: ${result.reason}`);
  out.line(`  => ${text}`);
}

/**
 * Runs `scenarios` in order. After a failure the rest are skipped, unless
 * `keepGoing` is set.
 */
export async function runScenarios(
  scenarios: Scenario[],
  run: DemoRun,
  keepGoing: boolean,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  let failed = false;
  for (const [index, scenario] of scenarios.entries()) {
    if (failed && !keepGoing) {
      const reason = "an earlier scenario failed (--keep-going runs it)";
      results.push({
        name: scenario.name,
        outcome: "skipped",
        figure: "",
        reason,
      });
      continue;
    }
    run.out.heading(
      `${index + 1}/${scenarios.length} ${scenario.name}: ${scenario.summary}`,
    );
    const result = await runOne(scenario, run);
    printOutcome(run.out, result);
    results.push(result);
    failed ||= result.outcome === "fail";
  }
  return results;
}
