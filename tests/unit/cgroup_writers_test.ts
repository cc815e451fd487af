/**
 * The cgroup writers against temporary directories laid out like cgroup
 * mounts: a fake root with /proc/self/mountinfo, /proc/self/cgroup and the
 * hierarchies, whose new directories get the control files that the kernel
 * would create, with the kernel's defaults.
 */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { join } from "node:path";
import { RuntimeError, UsageError } from "../../src/errors.ts";
import {
  chooseHierarchies,
  detectLayout,
  parseCgroupMounts,
  parseProcCgroup,
} from "../../src/cgroup/hierarchy.ts";
import {
  type CgroupOptions,
  ContainerCgroup,
} from "../../src/cgroup/container_cgroup.ts";
import { readCgroupUsage } from "../../src/cgroup/stats.ts";

const MiB = 1024 * 1024;
const V1_UNLIMITED = "9223372036854771712";

/** The control files of a new v1 cgroup, by controller, with their defaults. */
const V1_FILES: Record<string, Record<string, string>> = {
  memory: {
    "memory.limit_in_bytes": V1_UNLIMITED,
    "memory.memsw.limit_in_bytes": V1_UNLIMITED,
    "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    "memory.failcnt": "0",
    "memory.usage_in_bytes": "0",
    "memory.stat": "total_inactive_file 0\n",
  },
  cpu: { "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1" },
  cpuacct: { "cpuacct.usage": "0" },
  pids: { "pids.max": "max", "pids.current": "0" },
  freezer: { "freezer.state": "THAWED" },
};

/** The control files of a new v2 cgroup with memory, cpu and pids enabled. */
const V2_FILES: Record<string, string> = {
  "cgroup.controllers": "memory cpu pids",
  "cgroup.subtree_control": "",
  "cgroup.events": "populated 0\nfrozen 0\n",
  "memory.max": "max",
  "memory.swap.max": "max",
  "memory.current": "0",
  "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
  "memory.stat": "inactive_file 0\n",
  "cpu.max": "max 100000",
  "cpu.stat": "usage_usec 0\n",
  "pids.max": "max",
  "pids.current": "0",
};

interface FakeMount {
  fsType: "cgroup" | "cgroup2";
  mountPoint: string;
  /** Controllers as /proc/self/cgroup lists them, or "" for cgroup2. */
  controllers: string;
  /** This process's cgroup in the hierarchy. */
  ownPath: string;
  /** cgroup2 only: the root's cgroup.controllers, by default "memory cpu pids". */
  rootControllers?: string;
}

/** A fake root directory with cgroup mounts, removed by `cleanup()`. */
class FakeRoot {
  readonly root = Deno.makeTempDirSync({ prefix: "tsc-cgroup-" });
  /** Files that new directories do not get, such as memsw without swap accounting. */
  readonly missing = new Set<string>();
  /** When set, new directories stay empty, so that rmdir works on them. */
  bare = false;

  constructor(readonly mounts: FakeMount[]) {
    Deno.mkdirSync(join(this.root, "proc/self"), { recursive: true });
    Deno.writeTextFileSync(
      join(this.root, "proc/self/mountinfo"),
      mountinfoOf(mounts),
    );
    Deno.writeTextFileSync(
      join(this.root, "proc/self/cgroup"),
      procCgroupOf(mounts),
    );
    for (const mount of mounts) {
      const own = this.path(mount.mountPoint, mount.ownPath);
      Deno.mkdirSync(own, { recursive: true });
      this.populate(own, mount);
      this.populate(this.path(mount.mountPoint), mount);
      if (mount.fsType === "cgroup2" && mount.rootControllers !== undefined) {
        setRootControllers(this, mount.mountPoint, mount.rootControllers);
      }
    }
  }

  /** Returns the options for `ContainerCgroup.create()` on this fake root. */
  options(parent?: string): CgroupOptions {
    return { root: this.root, afterMkdir: this.afterMkdir, parent };
  }

  /** Returns a path below the fake root. */
  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  read(...parts: string[]): string {
    return Deno.readTextFileSync(this.path(...parts));
  }

  exists(...parts: string[]): boolean {
    try {
      Deno.statSync(this.path(...parts));
      return true;
    } catch {
      return false;
    }
  }

  /** Adds the control files the kernel creates in a new cgroup directory. */
  readonly afterMkdir = (dir: string): void => {
    const mount = this.mounts.find((m) =>
      dir.startsWith(this.path(m.mountPoint) + "/")
    );
    assert(mount, `no fake mount contains ${dir}`);
    if (!this.bare) this.populate(dir, mount);
  };

  private populate(dir: string, mount: FakeMount): void {
    const files: Record<string, string> = mount.fsType === "cgroup2"
      ? V2_FILES
      : Object.assign(
        {},
        ...mount.controllers.split(",").map((c) => V1_FILES[c] ?? {}),
      );
    Deno.writeTextFileSync(join(dir, "cgroup.procs"), "");
    for (const [name, content] of Object.entries(files)) {
      if (!this.missing.has(name)) {
        Deno.writeTextFileSync(join(dir, name), content);
      }
    }
  }

  cleanup(): void {
    Deno.removeSync(this.root, { recursive: true });
  }
}

function mountinfoOf(mounts: FakeMount[]): string {
  const lines = [
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
    "31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  ];
  mounts.forEach((mount, index) => {
    const options = mount.fsType === "cgroup2"
      ? "rw,nsdelegate"
      : `rw,${mount.controllers}`;
    lines.push(
      `${40 + index} 31 0:${
        40 + index
      } / ${mount.mountPoint} rw,nosuid shared:${
        9 + index
      } - ${mount.fsType} ${mount.fsType} ${options}`,
    );
  });
  return lines.join("\n") + "\n";
}

function procCgroupOf(mounts: FakeMount[]): string {
  return mounts.map((mount, index) =>
    mount.fsType === "cgroup2"
      ? `0::${mount.ownPath}`
      : `${index + 1}:${mount.controllers}:${mount.ownPath}`
  ).join("\n") + "\n";
}

/** Returns a hybrid layout: v1 controllers, a nested memory cgroup, and cgroup2 without them. */
function hybridMounts(): FakeMount[] {
  const v1 = (controllers: string, ownPath = "/"): FakeMount => ({
    fsType: "cgroup",
    mountPoint: `/sys/fs/cgroup/${controllers}`,
    controllers,
    ownPath,
  });
  return [
    v1("cpu"),
    v1("cpuacct"),
    v1("memory", "/process_api/abc"),
    v1("freezer"),
    v1("pids"),
    {
      fsType: "cgroup2",
      mountPoint: "/sys/fs/cgroup/unified",
      controllers: "",
      ownPath: "/",
      rootControllers: "hugetlb",
    },
  ];
}

function unifiedMounts(ownPath = "/user.slice/session-1.scope"): FakeMount[] {
  return [{
    fsType: "cgroup2",
    mountPoint: "/sys/fs/cgroup",
    controllers: "",
    ownPath,
  }];
}

/** Creates a fake root, runs `fn` with it, and removes it. */
function withFakeRoot(mounts: FakeMount[], fn: (fake: FakeRoot) => void) {
  const fake = new FakeRoot(mounts);
  try {
    fn(fake);
  } finally {
    fake.cleanup();
  }
}

/** Makes a unified root list `controllers` in cgroup.controllers. */
function setRootControllers(
  fake: FakeRoot,
  mountPoint: string,
  controllers: string,
): void {
  Deno.writeTextFileSync(
    fake.path(mountPoint, "cgroup.controllers"),
    controllers,
  );
}

// Sample texts for detection, as the kernel prints them.

const UNIFIED_MOUNTINFO =
  `22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
28 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const UNIFIED_PROC_CGROUP = "0::/user.slice/user-1000.slice/session-2.scope\n";

const LEGACY_MOUNTINFO =
  `31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
35 31 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
36 31 0:33 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
38 31 0:35 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,freezer
`;
const LEGACY_PROC_CGROUP = `5:freezer:/
4:pids:/user.slice/user-1000.slice
3:memory:/user.slice
2:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/user-1000.slice/session-2.scope
`;

const HYBRID_MOUNTINFO =
  `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_PROC_CGROUP = `9:name=systemd:/
8:pids:/
6:freezer:/
4:memory:/process_api/7742ab4a
2:cpuacct:/
1:cpu:/
0::/
`;

Deno.test("detectLayout() detects pure v2", () => {
  const layout = detectLayout(UNIFIED_MOUNTINFO, UNIFIED_PROC_CGROUP);

  assertEquals(layout.mode, "unified");
  assertEquals(layout.hierarchies, [{
    key: "unified",
    version: 2,
    mountPoint: "/sys/fs/cgroup",
    mountRoot: "/",
    controllers: [],
    ownPath: "/user.slice/user-1000.slice/session-2.scope",
  }]);
});

Deno.test("detectLayout() detects pure v1", () => {
  const layout = detectLayout(LEGACY_MOUNTINFO, LEGACY_PROC_CGROUP);

  assertEquals(layout.mode, "legacy");
  assertEquals(
    layout.hierarchies.map((h) => [h.key, h.mountPoint, h.ownPath]),
    [
      ["freezer", "/sys/fs/cgroup/freezer", "/"],
      ["pids", "/sys/fs/cgroup/pids", "/user.slice/user-1000.slice"],
      ["memory", "/sys/fs/cgroup/memory", "/user.slice"],
      ["cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/user.slice"],
    ],
  );
  assertEquals(layout.hierarchies[3].controllers, ["cpu", "cpuacct"]);
});

Deno.test("detectLayout() detects hybrid", () => {
  const layout = detectLayout(HYBRID_MOUNTINFO, HYBRID_PROC_CGROUP);

  assertEquals(layout.mode, "hybrid");
  assertEquals(
    layout.hierarchies.map((h) => [h.key, h.version, h.mountPoint]),
    [
      ["pids", 1, "/sys/fs/cgroup/pids"],
      ["freezer", 1, "/sys/fs/cgroup/freezer"],
      ["memory", 1, "/sys/fs/cgroup/memory"],
      ["cpuacct", 1, "/sys/fs/cgroup/cpuacct"],
      ["cpu", 1, "/sys/fs/cgroup/cpu"],
      ["unified", 2, "/sys/fs/cgroup/unified"],
    ],
  );
  assertEquals(layout.hierarchies[2].ownPath, "/process_api/7742ab4a");
});

Deno.test("parseCgroupMounts() decodes escaped mount points", () => {
  const mounts = parseCgroupMounts(
    "41 31 0:38 /sub /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n",
  );

  assertEquals(mounts, [{
    version: 2,
    mountPoint: "/mnt/my cgroups",
    root: "/sub",
    options: ["rw"],
  }]);
});

Deno.test("parseProcCgroup() keeps colons in paths", () => {
  assertEquals(parseProcCgroup("4:memory:/a:b\n0::/\n"), [
    { hierarchyId: 4, controllers: ["memory"], path: "/a:b" },
    { hierarchyId: 0, controllers: [], path: "/" },
  ]);
});

Deno.test("chooseHierarchies() uses v1 controllers on hybrid", () => {
  const layout = detectLayout(HYBRID_MOUNTINFO, HYBRID_PROC_CGROUP);
  layout.hierarchies[5].controllers = ["hugetlb"];

  const keys = chooseHierarchies(layout).map((h) => h.key);

  assertEquals(keys, ["memory", "cpu", "pids", "freezer", "cpuacct"]);
});

Deno.test("chooseHierarchies() uses only the unified hierarchy", () => {
  const layout = detectLayout(UNIFIED_MOUNTINFO, UNIFIED_PROC_CGROUP);
  layout.hierarchies[0].controllers = ["cpuset", "cpu", "memory", "pids"];

  const keys = chooseHierarchies(layout).map((h) => h.key);

  assertEquals(keys, ["unified"]);
});

Deno.test("chooseHierarchies() names a missing controller", () => {
  const layout = detectLayout(
    LEGACY_MOUNTINFO.replace(/^.*pids.*\n/m, ""),
    LEGACY_PROC_CGROUP,
  );

  const error = assertThrows(
    () => chooseHierarchies(layout),
    RuntimeError,
    'cgroup controller "pids" is not available',
  );
  assert(error.hint?.includes("-o pids"));
});

Deno.test("create() writes v1 limits", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const limits = { memoryBytes: 64 * MiB, cpus: 0.5, pidsLimit: 20 };

    const cgroup = ContainerCgroup.create("web", limits, fake.options());

    const memory = "/sys/fs/cgroup/memory/process_api/abc/tscontainer/web";
    assertEquals(cgroup.paths, {
      memory: fake.path(memory),
      cpu: fake.path("/sys/fs/cgroup/cpu/tscontainer/web"),
      pids: fake.path("/sys/fs/cgroup/pids/tscontainer/web"),
      freezer: fake.path("/sys/fs/cgroup/freezer/tscontainer/web"),
      cpuacct: fake.path("/sys/fs/cgroup/cpuacct/tscontainer/web"),
    });
    assertEquals(fake.read(memory, "memory.limit_in_bytes"), "67108864");
    assertEquals(fake.read(memory, "memory.memsw.limit_in_bytes"), "67108864");
    const cpu = "/sys/fs/cgroup/cpu/tscontainer/web";
    assertEquals(fake.read(cpu, "cpu.cfs_period_us"), "100000");
    assertEquals(fake.read(cpu, "cpu.cfs_quota_us"), "50000");
    assertEquals(
      fake.read("/sys/fs/cgroup/pids/tscontainer/web/pids.max"),
      "20",
    );
  });
});

Deno.test("create() lists the procs file of each dir", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const cgroup = ContainerCgroup.create("web", {}, fake.options());

    assertEquals(
      cgroup.procsFiles,
      Object.values(cgroup.paths).map((dir) => join(dir, "cgroup.procs")),
    );
    assertEquals(cgroup.procsFiles.length, 5);
  });
});

Deno.test("create() skips memsw without swap accounting", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    fake.missing.add("memory.memsw.limit_in_bytes");

    const cgroup = ContainerCgroup.create(
      "web",
      { memoryBytes: 8 * MiB },
      fake.options(),
    );

    const memory = cgroup.paths.memory;
    assertEquals(
      Deno.readTextFileSync(join(memory, "memory.limit_in_bytes")),
      String(8 * MiB),
    );
    assert(
      !fake.exists(
        memory.slice(fake.root.length),
        "memory.memsw.limit_in_bytes",
      ),
    );
  });
});

Deno.test("create() leaves defaults without limits", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const cgroup = ContainerCgroup.create("web", {}, fake.options());

    const memory = cgroup.paths.memory.slice(fake.root.length);
    assertEquals(fake.read(memory, "memory.limit_in_bytes"), V1_UNLIMITED);
    const cpu = cgroup.paths.cpu.slice(fake.root.length);
    assertEquals(fake.read(cpu, "cpu.cfs_quota_us"), "-1");
    const pids = cgroup.paths.pids.slice(fake.root.length);
    assertEquals(fake.read(pids, "pids.max"), "max");
  });
});

Deno.test("create() writes v2 limits and subtree_control", () => {
  withFakeRoot(unifiedMounts(), (fake) => {
    setRootControllers(
      fake,
      "/sys/fs/cgroup",
      "cpuset cpu io memory hugetlb pids rdma misc",
    );
    const limits = { memoryBytes: 64 * MiB, cpus: 0.5, pidsLimit: 20 };

    const cgroup = ContainerCgroup.create("web", limits, fake.options());

    const dir = "/sys/fs/cgroup/tscontainer/web";
    assertEquals(cgroup.paths, { unified: fake.path(dir) });
    assertEquals(
      fake.read("/sys/fs/cgroup/cgroup.subtree_control"),
      "+memory +cpu +pids",
    );
    assertEquals(
      fake.read("/sys/fs/cgroup/tscontainer/cgroup.subtree_control"),
      "+memory +cpu +pids",
    );
    assertEquals(fake.read(dir, "memory.max"), "67108864");
    assertEquals(fake.read(dir, "memory.swap.max"), "0");
    assertEquals(fake.read(dir, "cpu.max"), "50000 100000");
    assertEquals(fake.read(dir, "pids.max"), "20");
  });
});

Deno.test("create() places v2 under the root", () => {
  withFakeRoot(unifiedMounts("/user.slice/session-1.scope"), (fake) => {
    const cgroup = ContainerCgroup.create("web", {}, fake.options());

    assertEquals(
      cgroup.paths.unified,
      fake.path("/sys/fs/cgroup/tscontainer/web"),
    );
    assert(!fake.exists("/sys/fs/cgroup/user.slice/tscontainer"));
  });
});

Deno.test("create() enables v2 controllers down to the parent", () => {
  withFakeRoot(unifiedMounts(), (fake) => {
    Deno.writeTextFileSync(
      fake.path("/sys/fs/cgroup/cgroup.subtree_control"),
      "cpu memory pids",
    );
    Deno.mkdirSync(fake.path("/sys/fs/cgroup/machine.slice/box"), {
      recursive: true,
    });
    fake.afterMkdir(fake.path("/sys/fs/cgroup/machine.slice"));
    fake.afterMkdir(fake.path("/sys/fs/cgroup/machine.slice/box"));
    Deno.writeTextFileSync(
      fake.path("/sys/fs/cgroup/machine.slice/cgroup.subtree_control"),
      "memory",
    );

    const cgroup = ContainerCgroup.create(
      "web",
      {},
      fake.options("/machine.slice/box"),
    );

    assertEquals(
      cgroup.paths.unified,
      fake.path("/sys/fs/cgroup/machine.slice/box/tscontainer/web"),
    );
    assertEquals(
      fake.read("/sys/fs/cgroup/cgroup.subtree_control"),
      "cpu memory pids",
    );
    assertEquals(
      fake.read("/sys/fs/cgroup/machine.slice/cgroup.subtree_control"),
      "+cpu +pids",
    );
    assertEquals(
      fake.read("/sys/fs/cgroup/machine.slice/box/cgroup.subtree_control"),
      "+memory +cpu +pids",
    );
    assertEquals(
      fake.read(
        "/sys/fs/cgroup/machine.slice/box/tscontainer/cgroup.subtree_control",
      ),
      "+memory +cpu +pids",
    );
  });
});

Deno.test("create() places v1 under the parent", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    for (const controller of ["cpu", "cpuacct", "memory", "freezer", "pids"]) {
      Deno.mkdirSync(fake.path(`/sys/fs/cgroup/${controller}/box`));
    }

    const cgroup = ContainerCgroup.create("web", {}, fake.options("box"));

    assertEquals(
      cgroup.paths.memory,
      fake.path("/sys/fs/cgroup/memory/box/tscontainer/web"),
    );
    assertEquals(
      cgroup.paths.cpu,
      fake.path("/sys/fs/cgroup/cpu/box/tscontainer/web"),
    );
  });
});

Deno.test("create() rejects a missing parent", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const error = assertThrows(
      () => ContainerCgroup.create("web", {}, fake.options("/nope")),
      UsageError,
      'cgroup parent "/nope" not found',
    );

    assert(error.hint?.includes("omit --cgroup-parent"));
    assert(!fake.exists("/sys/fs/cgroup/memory/process_api/abc/tscontainer"));
  });
});

Deno.test("create() rejects a parent with ..", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    assertThrows(
      () => ContainerCgroup.create("web", {}, fake.options("/a/../..")),
      UsageError,
      'invalid cgroup parent "/a/../..": ".." would leave the cgroup hierarchy',
    );
  });
});

Deno.test("create() rejects an existing container dir", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    Deno.mkdirSync(fake.path("/sys/fs/cgroup/cpu/tscontainer/web"), {
      recursive: true,
    });
    fake.bare = true;

    const error = assertThrows(
      () => ContainerCgroup.create("web", {}, fake.options()),
      RuntimeError,
      `failed to create cgroup ${
        fake.path("/sys/fs/cgroup/cpu/tscontainer/web")
      }: EEXIST`,
    );

    assert(error.hint?.includes("was not cleaned up"));
    const memory = "/sys/fs/cgroup/memory/process_api/abc/tscontainer";
    assert(fake.exists(memory), "the shared tscontainer dir stays");
    assert(!fake.exists(memory, "web"), "the container dir is removed");
  });
});

Deno.test("create() names a missing control file", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    fake.bare = true;
    const file = fake.path("/sys/fs/cgroup/pids/tscontainer/web/pids.max");

    const error = assertThrows(
      () => ContainerCgroup.create("web", { pidsLimit: 20 }, fake.options()),
      RuntimeError,
      `failed to write "20" to ${file}: ENOENT`,
    );

    assert(error.hint?.includes("not enabled"));
    for (const controller of ["cpu", "cpuacct", "freezer", "pids"]) {
      const dir = `/sys/fs/cgroup/${controller}/tscontainer/web`;
      assert(!fake.exists(dir), `${dir} is removed`);
    }
    assert(
      !fake.exists("/sys/fs/cgroup/memory/process_api/abc/tscontainer/web"),
    );
  });
});

Deno.test("oomKills() reads v1 memory.oom_control", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const cgroup = ContainerCgroup.create("web", {}, fake.options());
    Deno.writeTextFileSync(
      join(cgroup.paths.memory, "memory.oom_control"),
      "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    );

    assertEquals(cgroup.oomKills(), 2);
  });
});

Deno.test("oomKills() reads v2 memory.events", () => {
  withFakeRoot(unifiedMounts(), (fake) => {
    const cgroup = ContainerCgroup.create("web", {}, fake.options());
    Deno.writeTextFileSync(
      join(cgroup.paths.unified, "memory.events"),
      "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n",
    );

    assertEquals(cgroup.oomKills(), 1);
  });
});

Deno.test("readCgroupUsage() reads v1 files", () => {
  withFakeRoot(hybridMounts(), (fake) => {
    const cgroup = ContainerCgroup.create(
      "web",
      { pidsLimit: 20 },
      fake.options(),
    );
    const { memory, cpuacct, pids } = cgroup.paths;
    Deno.writeTextFileSync(join(memory, "memory.usage_in_bytes"), "10485760");
    Deno.writeTextFileSync(
      join(memory, "memory.stat"),
      "cache 0\ntotal_inactive_file 2097152\n",
    );
    Deno.writeTextFileSync(join(cpuacct, "cpuacct.usage"), "1500000000");
    Deno.writeTextFileSync(join(pids, "pids.current"), "3");

    assertEquals(readCgroupUsage(cgroup.paths), {
      memoryUsageBytes: 8 * MiB,
      memoryLimitBytes: undefined,
      cpuUsageNs: 1_500_000_000,
      pids: 3,
      pidsLimit: 20,
    });
  });
});

Deno.test("readCgroupUsage() reads v2 files", () => {
  withFakeRoot(unifiedMounts(), (fake) => {
    const cgroup = ContainerCgroup.create(
      "web",
      { memoryBytes: 64 * MiB },
      fake.options(),
    );
    const dir = cgroup.paths.unified;
    Deno.writeTextFileSync(join(dir, "memory.current"), "10485760");
    Deno.writeTextFileSync(join(dir, "memory.stat"), "inactive_file 2097152\n");
    Deno.writeTextFileSync(join(dir, "cpu.stat"), "usage_usec 250000\n");
    Deno.writeTextFileSync(join(dir, "pids.current"), "2");

    assertEquals(readCgroupUsage(cgroup.paths), {
      memoryUsageBytes: 8 * MiB,
      memoryLimitBytes: 64 * MiB,
      cpuUsageNs: 250_000_000,
      pids: 2,
      pidsLimit: undefined,
    });
  });
});

Deno.test("fromPaths() rejects paths outside tscontainer", () => {
  const cases: Record<string, string>[] = [
    {},
    { memory: "/sys/fs/cgroup/memory" },
    {
      memory: "/sys/fs/cgroup/memory/tscontainer/a",
      cpu: "/sys/fs/cgroup/cpu/tscontainer/b",
    },
    { memory: "sys/fs/cgroup/memory/tscontainer/a" },
  ];
  for (const paths of cases) {
    assertThrows(
      () => ContainerCgroup.fromPaths(paths),
      RuntimeError,
      "invalid container cgroup paths",
    );
  }
});

Deno.test("fromPaths() keeps valid paths", () => {
  const paths = {
    memory: "/sys/fs/cgroup/memory/x/tscontainer/web",
    "cpu,cpuacct": "/sys/fs/cgroup/cpu,cpuacct/tscontainer/web",
  };

  const cgroup = ContainerCgroup.fromPaths(paths);

  assertEquals(cgroup.paths, paths);
  assertEquals(cgroup.procsFiles, [
    "/sys/fs/cgroup/memory/x/tscontainer/web/cgroup.procs",
    "/sys/fs/cgroup/cpu,cpuacct/tscontainer/web/cgroup.procs",
  ]);
});

Deno.test("joinFiles are tasks on v1 and cgroup.procs on v2", () => {
  const cgroup = ContainerCgroup.fromPaths({
    memory: "/sys/fs/cgroup/memory/tscontainer/web",
    unified: "/sys/fs/cgroup/unified/tscontainer/web",
  });

  assertEquals(cgroup.joinFiles, [
    "/sys/fs/cgroup/memory/tscontainer/web/tasks",
    "/sys/fs/cgroup/unified/tscontainer/web/cgroup.procs",
  ]);
});
