/**
 * Resource limits through the CLI, as a user would set them. Each limit is
 * read back through the cgroups of the container's PID 1. The memory hog, CPU
 * burner and spawner of the rootfs are held to their limits, bad input is
 * rejected, and `stats` reports usage.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { join } from "node:path";
import {
  parseCgroupMounts,
  parseProcCgroup,
} from "../../src/cgroup/hierarchy.ts";
import {
  assertNoLeftovers,
  NOT_ROOT,
  prepareRootfs,
  runCli,
  runContainer,
  startContainer,
  uniqueName,
  waitForContainerPid,
} from "./helpers.ts";

const ignore = NOT_ROOT;

/** Maps each controller of `pid`'s cgroups to its directory on the host. */
function cgroupDirsOf(pid: number): Map<string, string> {
  const mounts = parseCgroupMounts(
    Deno.readTextFileSync("/proc/self/mountinfo"),
  );
  const dirs = new Map<string, string>();
  for (
    const entry of parseProcCgroup(
      Deno.readTextFileSync(`/proc/${pid}/cgroup`),
    )
  ) {
    const mount = mounts.find((m) =>
      entry.controllers.length === 0 ? m.version === 2 : m.version === 1 &&
        entry.controllers.every((c) => m.options.includes(c))
    );
    if (!mount) continue;
    const dir = join(mount.mountPoint, entry.path);
    for (const controller of entry.controllers) dirs.set(controller, dir);
    if (entry.controllers.length === 0) dirs.set("unified", dir);
  }
  return dirs;
}

/**
 * Waits until `pid` has joined the container's cgroups, which the init stage
 * does last, before execve, and returns them.
 */
async function waitForJoin(
  pid: number,
  name: string,
): Promise<Map<string, string>> {
  const suffix = `/tscontainer/${name}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const dirs = cgroupDirsOf(pid);
    const memory = dirs.get("memory") ?? dirs.get("unified");
    if (memory?.endsWith(suffix)) return dirs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process ${pid} did not join ${suffix} within 5 s`);
}

function readControl(dir: string | undefined, file: string): string {
  assert(dir, `no cgroup directory for ${file}`);
  return Deno.readTextFileSync(join(dir, file)).trim();
}

Deno.test({
  name: "run writes each limit to PID 1's cgroups",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("t-lim");
    const run = startContainer(name, [
      "--network",
      "none",
      "--memory",
      "64m",
      "--cpus",
      "0.5",
      "--pids-limit",
      "20",
      "--",
      "/bin/sleep",
      "3",
    ]);
    try {
      const pid = await waitForContainerPid(name);
      const dirs = await waitForJoin(pid, name);

      const v1 = ["memory", "cpu", "cpuacct", "pids", "freezer"].every((c) =>
        dirs.get(c)?.endsWith(`/tscontainer/${name}`)
      );
      if (v1) {
        assertEquals(
          readControl(dirs.get("memory"), "memory.limit_in_bytes"),
          "67108864",
        );
        assertEquals(readControl(dirs.get("cpu"), "cpu.cfs_quota_us"), "50000");
        assertEquals(
          readControl(dirs.get("cpu"), "cpu.cfs_period_us"),
          "100000",
        );
        assertEquals(readControl(dirs.get("pids"), "pids.max"), "20");
      } else {
        const unified = dirs.get("unified");
        assert(
          unified?.endsWith(`/tscontainer/${name}`),
          `cgroups: ${[...dirs]}`,
        );
        assertEquals(readControl(unified, "memory.max"), "67108864");
        assertEquals(readControl(unified, "memory.swap.max"), "0");
        assertEquals(readControl(unified, "cpu.max"), "50000 100000");
        assertEquals(readControl(unified, "pids.max"), "20");
      }
    } finally {
      const result = await run.result;
      assertEquals(result.code, 0, result.stderr);
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "memory hog is killed near the limit",
  ignore,
  async fn() {
    const name = uniqueName("t-lim");

    const result = await runContainer(name, [
      "--network",
      "none",
      "--memory",
      "64m",
      "--",
      "/bin/sh",
      "-c",
      '/usr/bin/memhog 256 8; echo "memhog exit $?"',
    ]);

    assertEquals(result.code, 0, result.stderr);
    const steps = [...result.stdout.matchAll(/^holding (\d+) MiB$/gm)];
    const lastHeldMiB = Number(steps.at(-1)?.[1] ?? 0);
    assert(lastHeldMiB >= 48, `held only ${lastHeldMiB} MiB`);
    assert(lastHeldMiB <= 64, `held ${lastHeldMiB} MiB, above the limit`);
    assertMatch(result.stdout, /^memhog exit 137$/m);
    assertMatch(
      result.stderr,
      /the kernel's OOM killer killed 1 process at the memory limit of 64 MiB/,
    );
  },
});

Deno.test({
  name: "OOM-killed main command exits 137",
  ignore,
  async fn() {
    const name = uniqueName("t-lim");

    const result = await runContainer(name, [
      "--network",
      "none",
      "--memory",
      "64m",
      "--",
      "/usr/bin/memhog",
      "256",
      "8",
    ]);

    assertEquals(result.code, 137, result.stderr);
    assertMatch(result.stderr, /OOM killer killed 1 process/);
  },
});

/** Returns the CPU ratio that cpuburn prints, CPU time over wall time. */
function cpuRatio(stdout: string): number {
  const match = /ratio (\d+\.\d+)/.exec(stdout);
  assert(match, `no ratio in ${JSON.stringify(stdout)}`);
  return Number(match[1]);
}

Deno.test({
  name: "cpu limit holds the burner near half",
  ignore,
  async fn() {
    const name = uniqueName("t-lim");

    const result = await runContainer(name, [
      "--network",
      "none",
      "--cpus",
      "0.5",
      "--",
      "/usr/bin/cpuburn",
      "3",
    ]);

    assertEquals(result.code, 0, result.stderr);
    const ratio = cpuRatio(result.stdout);
    assert(ratio >= 0.4, `CPU ratio ${ratio} is below 0.5 - 0.1`);
    assert(ratio <= 0.6, `CPU ratio ${ratio} is above 0.5 + 0.1`);
  },
});

Deno.test({
  name: "burner gets a whole CPU unlimited",
  ignore,
  async fn() {
    const name = uniqueName("t-lim");

    const result = await runContainer(name, [
      "--network",
      "none",
      "--",
      "/usr/bin/cpuburn",
      "2",
    ]);

    assertEquals(result.code, 0, result.stderr);
    // NOTE: a loose bound, because other work on the host takes CPU too.
    const ratio = cpuRatio(result.stdout);
    assert(ratio >= 0.75, `CPU ratio ${ratio}`);
  },
});

Deno.test({
  name: "pids limit stops the spawner",
  ignore,
  async fn() {
    const name = uniqueName("t-lim");

    const result = await runContainer(name, [
      "--network",
      "none",
      "--pids-limit",
      "20",
      "--",
      "/bin/sh",
      "-c",
      '/usr/bin/spawner 50 1; echo "spawner exit $?"',
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertMatch(result.stderr, /fork failed after \d+ processes/);
    const started = /started (\d+) of 50 processes/.exec(result.stdout) ??
      /started (\d+) of 50 processes/.exec(result.stderr);
    assert(started, `no count in ${result.stdout}${result.stderr}`);
    // The shell and the spawner count against the limit too.
    assert(Number(started[1]) <= 18, `started ${started[1]}`);
    assertMatch(result.stdout, /^spawner exit 1$/m);
  },
});

const BAD_LIMITS: [string[], string][] = [
  [["--memory", "abc"], 'invalid memory size "abc"'],
  [["--memory", "-64m"], 'invalid memory size "-64m": it is negative'],
  [["--memory", "0"], 'invalid memory size "0": it is zero'],
  [["--memory", "5m"], "below the minimum of 6 MiB"],
  [["--cpus", "0"], 'invalid CPU count "0": it is zero'],
  [["--cpus", "-1"], 'invalid CPU count "-1"'],
  [["--cpus", "4096"], "CPUs online"],
  [["--pids-limit", "0"], 'invalid pids limit "0": it must be at least 1'],
  [["--pids-limit", "-5"], 'invalid pids limit "-5"'],
  [
    ["--cgroup-parent", "/t-lim-missing"],
    'cgroup parent "/t-lim-missing" not found',
  ],
  [["--cgroup-parent", "../up"], '".." would leave the cgroup hierarchy'],
];

Deno.test({
  name: "run rejects bad limits with 125",
  ignore,
  async fn() {
    for (const [flags, message] of BAD_LIMITS) {
      const name = uniqueName("t-lim");

      const result = await runContainer(name, [
        "--network",
        "none",
        ...flags,
        "--",
        "/bin/true",
      ]);

      assertEquals(result.code, 125, `${flags.join(" ")}: ${result.stderr}`);
      assert(
        result.stderr.includes(message),
        `${flags.join(" ")}: expected ${
          JSON.stringify(message)
        } in ${result.stderr}`,
      );
    }
  },
});

Deno.test({
  name: "stats reports usage and limits",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("t-lim");
    const run = startContainer(name, [
      "--network",
      "none",
      "--memory",
      "100m",
      "--cpus",
      "0.5",
      "--pids-limit",
      "20",
      "--",
      "/usr/bin/cpuburn",
      "4",
    ]);
    try {
      await waitForContainerPid(name);

      const json = await runCli([
        "stats",
        "--no-stream",
        "--format",
        "json",
        name,
      ]);
      const table = await runCli(["stats", "--no-stream", name]);

      assertEquals(json.code, 0, json.stderr);
      const row = JSON.parse(json.stdout);
      assertEquals(row.name, name);
      assertEquals(row.memoryLimitBytes, 100 * 1024 * 1024);
      assertEquals(row.pidsLimit, 20);
      assert(row.pids >= 1, `pids ${row.pids}`);
      assert(row.cpuPercent > 30, `CPU ${row.cpuPercent}% for a 50% quota`);
      assert(row.cpuPercent < 70, `CPU ${row.cpuPercent}% for a 50% quota`);
      assertEquals(table.code, 0, table.stderr);
      assertMatch(
        table.stdout,
        /^NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +PIDS \/ LIMIT$/m,
      );
      assertMatch(
        table.stdout,
        new RegExp(`^${name} .* / 100 MiB .* / 20$`, "m"),
      );
    } finally {
      const result = await run.result;
      assertEquals(result.code, 0, result.stderr);
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "stats rejects a stopped container",
  ignore,
  async fn() {
    const result = await runCli(["stats", "--no-stream", "t-lim-none"]);

    assertEquals(result.code, 125);
    assertMatch(result.stderr, /no such container: "t-lim-none"/);
  },
});
