// deno-lint-ignore-file no-console
/**
 * `deno task demo`: demonstrates every requirement of tscontainer with real
 * containers, checks each one, and ends with a summary table. Exits 0 when
 * every check held, 1 when a check failed or a prerequisite is missing, and
 * 2 for invalid arguments.
 */
import { parseDemoArgs, USAGE, UsageError } from "./options.ts";
import type { DemoOptions } from "./options.ts";
import { Output } from "./output.ts";
import { checkPrerequisites } from "./prerequisites.ts";
import { printSummary } from "./report.ts";
import { runScenarios } from "./runner.ts";
import { findRuntime } from "./runtime.ts";
import { SCENARIOS } from "./scenarios/mod.ts";

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function parseOptions(): DemoOptions | number {
  try {
    return parseDemoArgs(Deno.args, SCENARIOS.map((scenario) => scenario.name));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`demo: ${error.message}`);
    return EXIT_USAGE;
  }
}

function printList(): void {
  const width = Math.max(...SCENARIOS.map((scenario) => scenario.name.length));
  for (const scenario of SCENARIOS) {
    console.log(`${scenario.name.padEnd(width)}  ${scenario.summary}`);
  }
}

/** Runs the selected scenarios and prints the summary; returns the exit status. */
async function runDemo(options: DemoOptions): Promise<number> {
  const selected = options.only.length === 0
    ? SCENARIOS
    : SCENARIOS.filter((scenario) => options.only.includes(scenario.name));
  const out = new Output();
  const runtime = findRuntime();
  out.line(
    `tscontainer demo: ${selected.length} scenarios with ${runtime.display}`,
  );
  out.line(
    "Container output is prefixed with its hostname: | for stdout, ! for stderr.",
  );

  const start = performance.now();
  const suffix = crypto.getRandomValues(new Uint16Array(1))[0].toString(16)
    .padStart(4, "0");
  const run = { out, runtime, suffix, started: [] };
  const results = await runScenarios(selected, run, options.keepGoing);
  printSummary(out, results, performance.now() - start);
  return results.every((result) => result.outcome === "pass") ? 0 : EXIT_FAILED;
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (typeof options === "number") return options;
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.list) {
    printList();
    return 0;
  }
  const problem = await checkPrerequisites();
  if (problem) {
    console.error(`demo: ${problem}`);
    return EXIT_FAILED;
  }
  return await runDemo(options);
}

Deno.exit(await main());
