/**
 * The runtime's lifecycle through the CLI: signals relayed to the container
 * and the leftovers of a runtime that was killed.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  assertNoLeftovers,
  NOT_ROOT,
  prepareRootfs,
  ROOTFS,
  runCli,
  startContainer,
  uniqueName,
  waitForContainerPid,
} from "./helpers.ts";

const ignore = NOT_ROOT;

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100 && processExists(pid); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert(!processExists(pid), `process ${pid} still runs`);
}

Deno.test({
  name: "SIGTERM to the runtime reaches the container",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("sigterm");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "/bin/sh",
      "-c",
      "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    try {
      await waitForContainerPid(name);
      await new Promise((resolve) => setTimeout(resolve, 300));

      Deno.kill(run.pid, "SIGTERM");
      const result = await run.result;

      assertEquals(result.code, 7, result.stderr);
      assertEquals(result.stdout, "ready\ngot TERM\n");
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "killed runtime takes its container along",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("stale");
    const run = startContainer(name, ["--memory", "32m", "--", "sleep", "60"]);
    try {
      const containerPid = await waitForContainerPid(name);

      Deno.kill(run.pid, "SIGKILL");
      await run.result;

      await waitForExit(containerPid);
      const ps = await runCli(["ps"]);
      assertMatch(ps.stderr, new RegExp(`left state behind: .*${name}`));

      const removed = await runCli(["rm", name]);
      assertEquals(removed.code, 0, removed.stderr);
    } finally {
      await run.result;
      await runCli(["rm", name]);
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "a new run reclaims a stale name",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("reuse");
    const first = startContainer(name, ["--", "sleep", "60"]);
    try {
      const containerPid = await waitForContainerPid(name);
      Deno.kill(first.pid, "SIGKILL");
      await first.result;
      await waitForExit(containerPid);

      const second = await runCli([
        "run",
        "--name",
        name,
        "--rootfs",
        ROOTFS,
        "--",
        "hostname",
      ]);

      assertEquals(second.code, 0, second.stderr);
      assertEquals(second.stdout, `${name}\n`);
    } finally {
      await first.result;
      await runCli(["rm", name]);
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "rm rejects a running container",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("busy");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "sleep",
      "60",
    ]);
    try {
      const containerPid = await waitForContainerPid(name);

      const result = await runCli(["rm", name]);

      assertEquals(result.code, 125);
      assertMatch(result.stderr, new RegExp(`container "${name}" is running`));
      assertMatch(result.stderr, /tscontainer kill/);
      Deno.kill(containerPid, "SIGKILL");
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "rm rejects an unknown name",
  ignore,
  async fn() {
    const result = await runCli(["rm", "no-such-container-x"]);

    assertEquals(result.code, 125);
    assertMatch(result.stderr, /no such container: "no-such-container-x"/);
  },
});

Deno.test({
  name: "ps probes do not disturb starts",
  ignore,
  async fn() {
    await prepareRootfs();
    const names = Array.from({ length: 8 }, () => uniqueName("probed"));
    let probing = true;
    const probes = (async () => {
      let count = 0;
      while (probing) {
        await runCli(["ps", "--format", "json"]);
        count++;
      }
      return count;
    })();
    try {
      const results = await Promise.all(
        names.map((name) =>
          startContainer(name, ["--network", "none", "--", "true"]).result
        ),
      );

      for (const result of results) {
        assertEquals(result.code, 0, result.stderr);
      }
    } finally {
      probing = false;
      assert(await probes > 0, "no ps probe ran");
      for (const name of names) await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "kill stops a container that ignores SIGTERM",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("kill");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "sleep",
      "60",
    ]);
    try {
      await waitForContainerPid(name);

      const killed = await runCli(["kill", name]);
      const result = await run.result;

      assertEquals(killed.code, 0, killed.stderr);
      assertEquals(result.code, 137, result.stderr);
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "kill sends the named signal",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("kill-term");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "/bin/sh",
      "-c",
      "trap 'exit 5' TERM; while true; do sleep 0.1; done",
    ]);
    try {
      await waitForContainerPid(name);

      const killed = await runCli(["kill", "--signal", "TERM", name]);
      const result = await run.result;

      assertEquals(killed.code, 0, killed.stderr);
      assertEquals(result.code, 5, result.stderr);
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});

/** Counts the sockets a process has open. */
function socketCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].filter((entry) => {
    try {
      return Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith(
        "socket:",
      );
    } catch {
      return false;
    }
  }).length;
}

Deno.test({
  name: "SIGUSR1 opens no inspector in the runtime",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("usr1");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "sleep",
      "60",
    ]);
    try {
      const containerPid = await waitForContainerPid(name);
      const state = JSON.parse(
        Deno.readTextFileSync(`/run/tscontainer/${name}/state.json`),
      );
      // Deno installs its SIGUSR1 inspector handler 500 ms after start.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const socketsBefore = socketCount(state.runtimePid);

      Deno.kill(state.runtimePid, "SIGUSR1");
      await new Promise((resolve) => setTimeout(resolve, 300));

      assertEquals(socketCount(state.runtimePid), socketsBefore);
      Deno.kill(containerPid, "SIGKILL");
      const result = await run.result;
      assertEquals(result.code, 137, result.stderr);
      assert(!/Debugger listening/.test(result.stderr), result.stderr);
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "second SIGTERM during teardown is caught",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("term-twice");
    const run = startContainer(name, [
      "--network",
      "none",
      "--",
      "/bin/sh",
      "-c",
      "trap 'exit 3' TERM; while true; do sleep 0.1; done",
    ]);
    try {
      await waitForContainerPid(name);
      await new Promise((resolve) => setTimeout(resolve, 200));

      Deno.kill(run.pid, "SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 3));
      Deno.kill(run.pid, "SIGTERM");
      const result = await run.result;

      assertEquals(result.code, 3, result.stderr);
    } finally {
      await run.result;
      await assertNoLeftovers(name);
    }
  },
});
