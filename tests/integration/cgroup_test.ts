/**
 * ContainerCgroup on this machine's real cgroup file system: limits written,
 * processes moved in, killed and removed by `remove()`, and nothing left.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { join } from "node:path";
import { RuntimeError } from "../../src/errors.ts";
import { ContainerCgroup } from "../../src/cgroup/mod.ts";
import { readLayout } from "../../src/cgroup/hierarchy.ts";
import { findCgroupDirs, NOT_ROOT, uniqueName } from "./helpers.ts";

const MiB = 1024 * 1024;
const ignore = NOT_ROOT;

function readFile(dir: string, file: string): string {
  return Deno.readTextFileSync(join(dir, file)).trim();
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `sh -c script` and moves it into every procs file. The script starts
 * once it has been moved: it runs after `read _` returns on its stdin.
 */
async function startIn(
  procsFiles: string[],
  script: string,
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("sh", {
    args: ["-c", `read _; ${script}`],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (const file of procsFiles) {
    Deno.writeTextFileSync(file, String(child.pid));
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("\n"));
  await writer.close();
  return child;
}

/** Kills `child` if it still runs and waits for it, as cleanup after a failure. */
async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // It has already exited.
  }
  await child.status;
}

/** Returns true while `pid` runs. A zombie waiting to be reaped has ended. */
function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Lists the PIDs in a cgroup.procs file. */
function pidsIn(procsFile: string): number[] {
  return Deno.readTextFileSync(procsFile).split("\n").filter(Boolean).map(
    Number,
  );
}

Deno.test({
  name: "create() writes and reads back limits",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const limits = { memoryBytes: 64 * MiB, cpus: 0.5, pidsLimit: 20 };

    const cgroup = ContainerCgroup.create(name, limits);
    try {
      const memory = cgroup.paths.memory ?? cgroup.paths.unified;
      if (cgroup.paths.memory) {
        assertEquals(readFile(memory, "memory.limit_in_bytes"), "67108864");
        const memsw = join(memory, "memory.memsw.limit_in_bytes");
        if (exists(memsw)) {
          assertEquals(
            readFile(memory, "memory.memsw.limit_in_bytes"),
            "67108864",
          );
        }
      } else {
        assertEquals(readFile(memory, "memory.max"), "67108864");
      }
      const cpuKey = Object.keys(cgroup.paths).find((key) =>
        key.split(",").includes("cpu")
      );
      if (cpuKey) {
        const cpu = cgroup.paths[cpuKey];
        assertEquals(readFile(cpu, "cpu.cfs_period_us"), "100000");
        assertEquals(readFile(cpu, "cpu.cfs_quota_us"), "50000");
      }
      const pids = cgroup.paths.pids ?? cgroup.paths.unified;
      assertEquals(readFile(pids, "pids.max"), "20");
    } finally {
      await cgroup.remove();
    }

    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "create() nests v1 cgroups under its own",
  ignore: ignore || readLayout().mode === "unified",
  fn: async () => {
    const name = uniqueName("t-cg");
    const own = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
      .find((line) => line.split(":")[1] === "memory")?.split(":")[2];

    const cgroup = ContainerCgroup.create(name, {});
    try {
      const suffix = join(own ?? "/", "tscontainer", name);
      assert(
        cgroup.paths.memory.endsWith(suffix),
        `${cgroup.paths.memory} ends with ${suffix}`,
      );
    } finally {
      await cgroup.remove();
    }
  },
});

Deno.test({
  name: "remove() kills a process and removes dirs",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const cgroup = ContainerCgroup.create(name, { pidsLimit: 20 });
    const child = await startIn(cgroup.procsFiles, "exec sleep 60");
    try {
      const procCgroup = Deno.readTextFileSync(`/proc/${child.pid}/cgroup`);
      const joined = procCgroup.split("\n").filter((line) =>
        line.endsWith(`/tscontainer/${name}`)
      );
      assertEquals(joined.length, cgroup.procsFiles.length, procCgroup);

      await cgroup.remove();

      const status = await child.status;
      assertEquals(status.signal, "SIGKILL");
    } finally {
      await stopChild(child);
      await cgroup.remove();
    }

    for (const dir of Object.values(cgroup.paths)) {
      assert(!exists(dir), `${dir} is removed`);
      assert(exists(join(dir, "..")), "the shared tscontainer dir stays");
    }
    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "remove() kills a process tree",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const cgroup = ContainerCgroup.create(name, {});
    const child = await startIn(
      cgroup.procsFiles,
      "sleep 60 & sleep 60 & wait",
    );
    try {
      // The shell was moved in before it forked, so its children are in too.
      let pids: number[] = [];
      for (let i = 0; i < 200 && pids.length < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        pids = pidsIn(cgroup.procsFiles[0]);
      }
      assertEquals(pids.length, 3, `PIDs in the cgroup: ${pids}`);

      await cgroup.remove();

      assertEquals((await child.status).signal, "SIGKILL");
      for (const pid of pids) {
        assert(!isRunning(pid), `process ${pid} has ended`);
      }
    } finally {
      await stopChild(child);
      await cgroup.remove();
    }

    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "remove() twice is harmless",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const cgroup = ContainerCgroup.create(name, {});

    await cgroup.remove();
    await cgroup.remove();

    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "fromPaths() cleans up a dead runtime's cgroup",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const created = ContainerCgroup.create(name, {});
    const child = await startIn(created.procsFiles, "exec sleep 60");
    try {
      const saved = JSON.parse(JSON.stringify(created.paths));

      await ContainerCgroup.fromPaths(saved).remove();

      assertEquals((await child.status).signal, "SIGKILL");
    } finally {
      await stopChild(child);
      await created.remove();
    }

    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "oomKills() counts a kill at the limit",
  ignore,
  fn: async () => {
    const name = uniqueName("t-cg");
    const cgroup = ContainerCgroup.create(name, { memoryBytes: 16 * MiB });
    // `tail` buffers an endless line until the OOM killer kills it.
    const child = await startIn(cgroup.procsFiles, "exec tail /dev/zero");
    try {
      const status = await child.status;

      assertEquals(status.signal, "SIGKILL");
      assertEquals(cgroup.oomKills(), 1);
    } finally {
      await stopChild(child);
      await cgroup.remove();
    }

    assertEquals(findCgroupDirs(name), []);
  },
});

Deno.test({
  name: "create() removes its dirs on a rejected limit",
  ignore: ignore || readLayout().mode === "unified",
  fn: () => {
    const name = uniqueName("t-cg");
    const parent = uniqueName("t-cg-parent");
    const layout = readLayout();
    const parentDirs = layout.hierarchies.filter((h) => h.version === 1).map((
      h,
    ) => join(h.mountPoint, parent));
    for (const dir of parentDirs) Deno.mkdirSync(dir);
    try {
      const cpuParent = parentDirs.find((dir) =>
        exists(join(dir, "cpu.cfs_quota_us"))
      );
      assert(cpuParent, "a v1 cpu hierarchy exists");
      // v1 rejects a child quota above its parent's with EINVAL.
      Deno.writeTextFileSync(join(cpuParent, "cpu.cfs_quota_us"), "10000");

      let error: unknown;
      try {
        ContainerCgroup.create(name, { cpus: 1 }, { parent });
      } catch (caught) {
        error = caught;
      }

      assert(error instanceof RuntimeError, `got ${error}`);
      assertMatch(
        error.message,
        /^failed to write "100000" to .*\/cpu\.cfs_quota_us: EINVAL/,
      );
      assertEquals(findCgroupDirs(name), []);
    } finally {
      for (const dir of parentDirs) {
        if (exists(join(dir, "tscontainer"))) {
          Deno.removeSync(join(dir, "tscontainer"));
        }
        Deno.removeSync(dir);
      }
    }
  },
});

Deno.test({
  name: "remove() empties a v2 cgroup",
  ignore: ignore || !readLayout().hierarchies.some((h) => h.version === 2),
  fn: async () => {
    const name = uniqueName("t-cg");
    const unified = readLayout().hierarchies.find((h) => h.version === 2)!;
    const runtimeDir = join(unified.mountPoint, "tscontainer");
    const hadRuntimeDir = exists(runtimeDir);
    const dir = join(runtimeDir, name);
    Deno.mkdirSync(dir, { recursive: true });
    const child = await startIn([join(dir, "cgroup.procs")], "exec sleep 60");
    try {
      await ContainerCgroup.fromPaths({ unified: dir }).remove();

      assertEquals((await child.status).signal, "SIGKILL");
      assert(!exists(dir), `${dir} is removed`);
    } finally {
      await stopChild(child);
      if (exists(dir)) Deno.removeSync(dir);
      // On a machine that uses v1 controllers, no container needs it.
      if (!hadRuntimeDir) Deno.removeSync(runtimeDir);
    }
  },
});
