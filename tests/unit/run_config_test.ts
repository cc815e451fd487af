import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import {
  buildRunConfig,
  checkRootfs,
  containerEnv,
} from "../../src/container/run_config.ts";
import type { RunOptions } from "../../src/container/run_config.ts";
import { RuntimeError, UsageError } from "../../src/errors.ts";
import {
  findSymlinkComponent,
  joinUnder,
  resolveInRoot,
  splitPath,
} from "../../src/rootfs/resolve.ts";

/** Lays out a tiny rootfs: bin/busybox with an absolute bin/sh link. */
function makeRootfs(): string {
  const root = Deno.makeTempDirSync({ prefix: "tsc-unit-rootfs-" });
  Deno.mkdirSync(`${root}/bin`);
  Deno.mkdirSync(`${root}/etc`);
  Deno.writeTextFileSync(`${root}/bin/busybox`, "");
  Deno.symlinkSync("/bin/busybox", `${root}/bin/sh`);
  return root;
}

function options(overrides: Partial<RunOptions>): RunOptions {
  return {
    command: [],
    env: [],
    workdir: "/",
    network: "none",
    publish: [],
    overlay: true,
    ...overrides,
  };
}

Deno.test("buildRunConfig() fills in defaults", () => {
  const rootfs = makeRootfs();
  try {
    const config = buildRunConfig(options({ rootfs, name: "web_1" }));

    assertEquals(config.name, "web_1");
    assertEquals(config.hostname, "web-1");
    assertEquals(config.command, ["/bin/sh"]);
    assertEquals(config.rootfs, Deno.realPathSync(rootfs));
    assertEquals(config.limits, {
      memoryBytes: undefined,
      cpus: undefined,
      pidsLimit: undefined,
    });
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("buildRunConfig() parses limits", () => {
  const rootfs = makeRootfs();
  try {
    const config = buildRunConfig(
      options({ rootfs, memory: "64m", cpus: "0.5", pidsLimit: "20" }),
    );

    assertEquals(config.limits, {
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
      pidsLimit: 20,
    });
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("buildRunConfig() rejects an unknown network mode", () => {
  const rootfs = makeRootfs();
  try {
    assertThrows(
      () => buildRunConfig(options({ rootfs, network: "host" })),
      UsageError,
      'invalid --network "host"',
    );
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("buildRunConfig() rejects bad env and workdir", () => {
  const rootfs = makeRootfs();
  try {
    assertThrows(
      () => buildRunConfig(options({ rootfs, env: ["1BAD=x"] })),
      UsageError,
      "invalid environment variable",
    );
    assertThrows(
      () => buildRunConfig(options({ rootfs, workdir: "relative" })),
      UsageError,
      "invalid --workdir",
    );
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("buildRunConfig() needs /bin/sh only for the default command", () => {
  const rootfs = Deno.makeTempDirSync({ prefix: "tsc-unit-empty-" });
  try {
    const error = assertThrows(
      () => buildRunConfig(options({ rootfs })),
      RuntimeError,
      "has no /bin/sh",
    );
    assertEquals(error.exitCode, 125);

    const config = buildRunConfig(options({ rootfs, command: ["/app"] }));
    assertEquals(config.command, ["/app"]);
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("checkRootfs() rejects missing, file and / paths", () => {
  assertThrows(() => checkRootfs(undefined), UsageError, "missing --rootfs");
  assertThrows(() => checkRootfs("/nonexistent-x"), UsageError, "not found");
  assertThrows(
    () => checkRootfs("/etc/hostname"),
    UsageError,
    "not a directory",
  );
  assertThrows(() => checkRootfs("/"), UsageError, "is the host's /");
});

Deno.test("checkRootfs() rejects a symlinked mount target", () => {
  const rootfs = makeRootfs();
  try {
    Deno.symlinkSync("/etc", `${rootfs}/proc`);

    const error = assertThrows(
      () => checkRootfs(rootfs),
      RuntimeError,
      "mount target /proc in the root filesystem is a symbolic link to /etc",
    );
    assertMatch(error.hint ?? "", /replace .*\/proc with a real directory/);
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("containerEnv() lets --env override defaults", () => {
  const env = containerEnv("h1", ["PATH=/bin", "EXTRA=a=b"]);

  assert(env.includes("PATH=/bin"));
  assert(env.includes("HOSTNAME=h1"));
  assert(env.includes("EXTRA=a=b"));
  assertEquals(env.filter((entry) => entry.startsWith("PATH=")).length, 1);
});

Deno.test("resolveInRoot() keeps absolute links inside the root", () => {
  const rootfs = makeRootfs();
  try {
    assertEquals(resolveInRoot(rootfs, "/bin/sh"), `${rootfs}/bin/busybox`);
    assertEquals(resolveInRoot(rootfs, "/bin/missing"), undefined);

    Deno.symlinkSync("../../../..", `${rootfs}/bin/up`);
    assertEquals(
      resolveInRoot(rootfs, "/bin/up/bin/sh"),
      `${rootfs}/bin/busybox`,
    );
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("resolveInRoot() stops on symlink loops", () => {
  const rootfs = makeRootfs();
  try {
    Deno.symlinkSync("/loop", `${rootfs}/loop`);

    assertEquals(resolveInRoot(rootfs, "/loop"), undefined);
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("findSymlinkComponent() finds links in parent components", () => {
  const rootfs = makeRootfs();
  try {
    Deno.removeSync(`${rootfs}/etc`);
    Deno.symlinkSync("/host-etc", `${rootfs}/etc`);

    assertEquals(findSymlinkComponent(rootfs, "etc/hosts"), {
      path: "etc",
      target: "/host-etc",
    });
    assertEquals(findSymlinkComponent(rootfs, "proc"), undefined);
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("splitPath() resolves . and .. without leaving the root", () => {
  assertEquals(splitPath("/a/./b/../c/"), ["a", "c"]);
  assertEquals(splitPath("../../etc"), ["etc"]);
  assertEquals(splitPath(""), []);
});

Deno.test("joinUnder() joins below a root with or without a slash", () => {
  assertEquals(joinUnder("/", "proc"), "/proc");
  assertEquals(joinUnder("/rootfs/", "etc", "hosts"), "/rootfs/etc/hosts");
  assertEquals(joinUnder("/rootfs"), "/rootfs");
});

Deno.test("checkRootfs() rejects mount targets of the wrong kind", () => {
  const rootfs = makeRootfs();
  try {
    Deno.writeTextFileSync(`${rootfs}/proc`, "");
    assertThrows(
      () => checkRootfs(rootfs),
      RuntimeError,
      "mount target /proc in the root filesystem is not a directory",
    );

    Deno.removeSync(`${rootfs}/proc`);
    Deno.mkdirSync(`${rootfs}/etc/hosts`);
    assertThrows(
      () => checkRootfs(rootfs),
      RuntimeError,
      "mount target /etc/hosts in the root filesystem is not a regular file",
    );
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});

Deno.test("buildRunConfig() rejects overlay-unsafe rootfs paths", () => {
  const parent = Deno.makeTempDirSync({ prefix: "tsc-unit-" });
  const rootfs = `${parent}/r:oot`;
  try {
    Deno.renameSync(makeRootfs(), rootfs);

    assertThrows(
      () => buildRunConfig(options({ rootfs })),
      UsageError,
      'contains ":", which overlay mount options cannot carry',
    );
    assertEquals(
      buildRunConfig(options({ rootfs, overlay: false })).overlay,
      false,
    );
  } finally {
    Deno.removeSync(parent, { recursive: true });
  }
});

Deno.test("buildRunConfig() hints at subcommands without --rootfs", () => {
  const error = assertThrows(
    () => buildRunConfig(options({ command: ["sttas"] })),
    UsageError,
    "missing --rootfs DIR",
  );

  assertMatch(error.hint ?? "", /the commands are run, ps, stats, rm and kill/);
});
