/**
 * The container shell end to end, through the CLI: namespaces, the root
 * filesystem, hostname, /proc, exit statuses and bad input.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  assertNoLeftovers,
  hostMountPoints,
  NOT_ROOT,
  prepareRootfs,
  ROOTFS,
  runCli,
  runContainer,
  startContainer,
  uniqueName,
  waitForContainerPid,
} from "./helpers.ts";

const ignore = NOT_ROOT;

Deno.test({
  name: "run prints the given hostname",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("host"), [
      "--hostname",
      "h1",
      "--network",
      "none",
      "--",
      "hostname",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "h1\n");
  },
});

Deno.test({
  name: "ls / lists the rootfs entries",
  ignore,
  async fn() {
    await prepareRootfs();
    const expected = [...Deno.readDirSync(ROOTFS)].map((entry) => entry.name)
      .sort();

    const result = await runContainer(uniqueName("ls"), [
      "--",
      "ls",
      "-1",
      "/",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim().split("\n").sort(), expected);
  },
});

Deno.test({
  name: "ps shows the command as PID 1 only",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("ps"), [
      "--",
      "/bin/sh",
      "-c",
      "ps -o pid,comm; true",
    ]);

    assertEquals(result.code, 0, result.stderr);
    const rows = result.stdout.trim().split("\n").slice(1).map((line) =>
      line.trim()
    );
    assertEquals(rows.length, 2, result.stdout);
    assertMatch(rows[0], /^1 sh$/);
    assertMatch(rows[1], /^\d+ ps$/);
  },
});

Deno.test({
  name: "/proc/1/cmdline is the container command",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("cmdline"), [
      "--",
      "cat",
      "/proc/1/cmdline",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "cat\0/proc/1/cmdline\0");
  },
});

Deno.test({
  name: "namespaces differ from the host's",
  ignore,
  async fn() {
    const kinds = ["pid", "mnt", "uts", "net", "ipc"];
    const script = kinds.map((kind) => `readlink /proc/1/ns/${kind}`).join(";");

    const result = await runContainer(uniqueName("ns"), [
      "--",
      "/bin/sh",
      "-c",
      script,
    ]);

    assertEquals(result.code, 0, result.stderr);
    const inside = result.stdout.trim().split("\n");
    kinds.forEach((kind, index) => {
      assertMatch(inside[index], new RegExp(`^${kind}:\\[\\d+\\]$`));
      assert(
        inside[index] !== Deno.readLinkSync(`/proc/self/ns/${kind}`),
        `${kind} namespace is the host's`,
      );
    });
  },
});

Deno.test({
  name: "host mounts and hostname stay unchanged",
  ignore,
  async fn() {
    const mountsBefore = hostMountPoints();
    const hostnameBefore = Deno.hostname();

    const result = await runContainer(uniqueName("host-state"), [
      "--hostname",
      "changed",
      "--",
      "/bin/sh",
      "-c",
      "hostname other; mount -t tmpfs tmpfs /mnt 2>/dev/null || mkdir -p /mnt; true",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(Deno.hostname(), hostnameBefore);
    assertEquals(hostMountPoints(), mountsBefore);
  },
});

Deno.test({
  name: "the shell starts in / of the rootfs",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("cwd"), [], {
      stdin: "pwd\n",
    });

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "/\n");
  },
});

Deno.test({
  name: "a pipe-fed script runs in the shell",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("script"), [
      "--hostname",
      "scripted",
    ], { stdin: "hostname\necho done\nexit 4\n" });

    assertEquals(result.code, 4, result.stderr);
    assertEquals(result.stdout, "scripted\ndone\n");
  },
});

const exitCases: [string, string[], number][] = [
  ["success", ["true"], 0],
  ["the command's status", ["/bin/sh", "-c", "exit 3"], 3],
  ["a directory as command", ["/etc"], 126],
  ["a file that is not executable", ["/etc/passwd"], 126],
  ["an unknown command", ["no-such-command"], 127],
];

for (const [label, command, expected] of exitCases) {
  Deno.test({
    name: `exit status for ${label} is ${expected}`,
    ignore,
    async fn() {
      const result = await runContainer(uniqueName("exit"), [
        "--network",
        "none",
        "--",
        ...command,
      ]);

      assertEquals(result.code, expected, result.stderr);
    },
  });
}

Deno.test({
  name: "exit status is 137 when PID 1 is killed",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("killed");
    const run =
      startContainer(name, ["--network", "none", "--", "sleep", "60"]).result;
    try {
      const pid = await waitForContainerPid(name);
      Deno.kill(pid, "SIGKILL");

      const result = await run;

      assertEquals(result.code, 137, result.stderr);
    } finally {
      await run;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "unknown command-line flag exits 125",
  ignore,
  async fn() {
    const result = await runCli(["run", "--rootfs", ROOTFS, "--no-such-flag"]);

    assertEquals(result.code, 125);
    assertMatch(result.stderr, /unknown option '--no-such-flag'/);
  },
});

interface BadInput {
  label: string;
  args: string[];
  message: RegExp;
}

const badInputs: BadInput[] = [
  {
    label: "missing rootfs",
    args: ["--rootfs", "/nonexistent-rootfs"],
    message: /root filesystem "\/nonexistent-rootfs" not found/,
  },
  {
    label: "rootfs that is a file",
    args: ["--rootfs", "/etc/passwd"],
    message: /is not a directory/,
  },
  {
    label: "rootfs equal to /",
    args: ["--rootfs", "/"],
    message: /is the host's \//,
  },
  {
    label: "empty hostname",
    args: ["--rootfs", ROOTFS, "--hostname", ""],
    message: /invalid hostname: it is empty/,
  },
  {
    label: "hostname too long",
    args: [
      "--rootfs",
      ROOTFS,
      "--hostname",
      "a".repeat(40) + "." + "b".repeat(30),
    ],
    message: /71 bytes is longer than the maximum of 64/,
  },
  {
    label: "hostname with bad characters",
    args: ["--rootfs", ROOTFS, "--hostname", "bad_host!"],
    message: /label "bad_host!" breaks the RFC 1123 rules/,
  },
];

for (const { label, args, message } of badInputs) {
  Deno.test({
    name: `bad input: ${label}`,
    ignore,
    async fn() {
      await prepareRootfs();
      const name = uniqueName("bad");

      const result = await runCli([
        "run",
        "--name",
        name,
        ...args,
        "--",
        "true",
      ]);

      assertEquals(result.code, 125, result.stderr);
      assertMatch(result.stderr, message);
      assertMatch(result.stderr, /hint: /);
      await assertNoLeftovers(name);
    },
  });
}

Deno.test({
  name: "bad input: rootfs without /bin/sh",
  ignore,
  async fn() {
    const rootfs = Deno.makeTempDirSync({ prefix: "tsc-empty-rootfs-" });
    const name = uniqueName("noshell");
    try {
      const result = await runCli(["run", "--name", name, "--rootfs", rootfs]);

      assertEquals(result.code, 125, result.stderr);
      assertMatch(result.stderr, /has no \/bin\/sh/);
      await assertNoLeftovers(name);
    } finally {
      Deno.removeSync(rootfs, { recursive: true });
    }
  },
});

Deno.test({
  name: "bad input: mount target that is a symlink",
  ignore,
  async fn() {
    await prepareRootfs();
    const rootfs = Deno.makeTempDirSync({ prefix: "tsc-symlink-rootfs-" });
    const name = uniqueName("symlink");
    const mountsBefore = hostMountPoints();
    try {
      Deno.mkdirSync(`${rootfs}/bin`);
      Deno.copyFileSync(`${ROOTFS}/bin/busybox`, `${rootfs}/bin/busybox`);
      Deno.symlinkSync("busybox", `${rootfs}/bin/sh`);
      Deno.symlinkSync("/etc", `${rootfs}/proc`);

      const result = await runCli(["run", "--name", name, "--rootfs", rootfs]);

      assertEquals(result.code, 125, result.stderr);
      assertMatch(
        result.stderr,
        /mount target \/proc .* symbolic link to \/etc/,
      );
      assertEquals(hostMountPoints(), mountsBefore);
      await assertNoLeftovers(name);
    } finally {
      Deno.removeSync(rootfs, { recursive: true });
    }
  },
});

Deno.test({
  name: "bad input: name already in use",
  ignore,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("dup");
    const first =
      startContainer(name, ["--network", "none", "--", "sleep", "30"]).result;
    try {
      const pid = await waitForContainerPid(name);

      const second = await runCli(["run", "--name", name, "--rootfs", ROOTFS]);

      assertEquals(second.code, 125, second.stderr);
      assertMatch(second.stderr, /already in use by a running container/);
      Deno.kill(pid, "SIGKILL");
    } finally {
      await first;
      await assertNoLeftovers(name);
    }
  },
});

Deno.test({
  name: "command starts with default signal actions",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("signals"), [
      "--network",
      "none",
      "--",
      "grep",
      "-E",
      "^Sig(Ign|Blk):",
      "/proc/self/status",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(
      result.stdout,
      "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
    );
  },
});

Deno.test({
  name: "a pipe reader's exit ends the writer",
  ignore,
  async fn() {
    const result = await runContainer(uniqueName("sigpipe"), [
      "--network",
      "none",
      "--",
      "/bin/sh",
      "-c",
      "yes | head -n 1",
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "y\n");
    assertEquals(result.stderr, "");
  },
});

Deno.test({
  name: "configuration larger than a pipe buffer",
  ignore,
  async fn() {
    const value = "a".repeat(100_000);

    const result = await runContainer(uniqueName("big"), [
      "--network",
      "none",
      "-e",
      `BIG=${value}`,
      "--",
      "/bin/sh",
      "-c",
      'echo "${#BIG}"',
    ]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "100000\n");
  },
});
