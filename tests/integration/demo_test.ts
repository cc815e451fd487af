/**
 * `deno task demo` end to end: every scenario passes on this machine, the
 * summary lists each one, and the containers it started left nothing behind.
 * The option tests need no root, because they stop before any container.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { assertNoLeftovers, NOT_ROOT, REPO } from "./helpers.ts";
import { SCENARIOS } from "../../demo/scenarios/mod.ts";

interface DemoResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runDemo(args: string[]): Promise<DemoResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-prompt", `${REPO}demo/main.ts`, ...args],
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Returns the rows of the summary table as [scenario, result, key figure]. */
function summaryRows(stdout: string): string[][] {
  const table = stdout.split("\n== summary\n")[1] ?? "";
  return table.split("\n").slice(1)
    .filter((line) => line.startsWith("  "))
    .map((line) => line.trim().split(/\s{2,}/));
}

Deno.test({
  name: "demo passes every scenario",
  ignore: NOT_ROOT,
  async fn() {
    const result = await runDemo([]);

    assertEquals(result.code, 0, result.stdout + result.stderr);
    const rows = summaryRows(result.stdout);
    assertEquals(
      rows.map((row) => row[0]),
      SCENARIOS.map((scenario) => scenario.name),
    );
    for (const [name, outcome, figure] of rows) {
      assertEquals(outcome, "pass", `${name}: ${figure}`);
      assert(figure, `${name} has no key figure`);
    }
    assertMatch(
      result.stdout,
      new RegExp(
        `\\n${SCENARIOS.length} of ${SCENARIOS.length} scenarios passed in `,
      ),
    );
    assert(
      !result.stdout.includes("\x1b["),
      "NO_COLOR output has ANSI escapes",
    );
    const names = [...result.stdout.matchAll(/--name (demo-\S+)/g)]
      .map((match) => match[1]);
    assert(names.length >= SCENARIOS.length, `containers: ${names}`);
    for (const name of names) await assertNoLeftovers(name);
  },
});

Deno.test("demo --list prints every scenario", async () => {
  const result = await runDemo(["--list"]);

  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    result.stdout.trim().split("\n").map((line) => line.split(" ")[0]),
    SCENARIOS.map((scenario) => scenario.name),
  );
});

Deno.test("demo rejects an unknown --only name", async () => {
  const result = await runDemo(["--only", "nosuch"]);

  assertEquals(result.code, 2);
  assertEquals(result.stdout, "");
  assertMatch(result.stderr, /^demo: unknown scenario "nosuch" for --only/);
  assertEquals(result.stderr.trim().split("\n").length, 1);
});
