/**
 * `deno task demo` end to end: every scenario passes on this machine, the
 * summary lists each one, and the containers it started left nothing behind.
 * The tests of options, cgroup readers and the chart need no root, because
 * they start no container.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { assertNoLeftovers, NOT_ROOT, REPO } from "./helpers.ts";
import { SCENARIOS } from "../../demo/scenarios/mod.ts";
import {
  readCpuLimit,
  readCpuUsageNs,
  readMemoryLimit,
  readMemoryPeak,
  readMemoryUsage,
  readOomKills,
  readPidsLimit,
  readPidsRejections,
} from "../../demo/cgroup.ts";
import { renderMemoryChart } from "../../demo/chart.ts";

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

/** Creates `files` under a new temporary directory and returns its path. */
function makeCgroupDir(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "tsc-demo-cgroup-" });
  for (const [name, text] of Object.entries(files)) {
    Deno.writeTextFileSync(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("demo cgroup readers parse v2 files", () => {
  const dir = makeCgroupDir({
    "memory.current": "1048576\n",
    "memory.max": "max\n",
    "memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
    "cpu.stat": "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
    "cpu.max": "50000 100000\n",
    "pids.max": "20\n",
    "pids.events": "max 2\n",
  });
  const paths = { unified: dir };
  try {
    assertEquals(readMemoryUsage(paths), 1048576);
    assertEquals(readMemoryLimit(paths), undefined);
    assertEquals(readMemoryPeak(paths), undefined);
    assertEquals(readOomKills(paths), 1);
    assertEquals(readCpuUsageNs(paths), 2_500_000);
    assertEquals(readCpuLimit(paths), 0.5);
    assertEquals(readPidsLimit(paths), 20);
    assertEquals(readPidsRejections(paths), 2);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("demo cgroup readers parse v1 files", () => {
  const memory = makeCgroupDir({
    "memory.usage_in_bytes": "4096\n",
    "memory.limit_in_bytes": "9223372036854771712\n",
    "memory.max_usage_in_bytes": "8192\n",
    "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
  });
  const cpu = makeCgroupDir({
    "cpu.cfs_quota_us": "-1\n",
    "cpu.cfs_period_us": "100000\n",
    "cpuacct.usage": "123456789\n",
  });
  const paths = { memory, "cpu,cpuacct": cpu, unified: "/nonexistent" };
  try {
    assertEquals(readMemoryUsage(paths), 4096);
    assertEquals(readMemoryLimit(paths), undefined);
    assertEquals(readMemoryPeak(paths), 8192);
    assertEquals(readOomKills(paths), 3);
    assertEquals(readCpuUsageNs(paths), 123456789);
    assertEquals(readCpuLimit(paths), undefined);
  } finally {
    Deno.removeSync(memory, { recursive: true });
    Deno.removeSync(cpu, { recursive: true });
  }
});

Deno.test("demo memory chart draws the limit line", () => {
  const mib = 1024 * 1024;
  const samples = [0, 8, 16, 24, 32, 40, 48, 56, 60, 0].map((usage, i) => ({
    ms: i * 100,
    bytes: usage * mib,
  }));

  const lines = renderMemoryChart(samples, 64 * mib, 10, false);

  const limitIndex = lines.findIndex((line) => line.endsWith(" limit"));
  assert(limitIndex > 0, lines.join("\n"));
  assertMatch(lines[limitIndex], /^ {3}64 \+=+ limit$/);
  assert(
    lines.slice(1, limitIndex).every((line) => !line.includes("#")),
    `a bar reaches above the limit:\n${lines.join("\n")}`,
  );
  assertMatch(lines.at(-2)!, /^ {4}0 \+-{10}$/);
});
