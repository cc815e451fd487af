/**
 * Tests of the rootfs builder and of the C programs it ships. The programs
 * are static, so they run on the host straight from the built tree. Network
 * tests use loopback only.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  buildRootfs,
  ensureRootfs,
  findMissingParts,
  isStaticElf,
} from "../../rootfs/usr/src/tscontainer/build.ts";
import { RuntimeError } from "../../src/errors.ts";

const PROGRAMS = [
  "cpuburn",
  "echo-client",
  "echo-server",
  "memhog",
  "spawner",
  "tcp-send",
  "tcp-sink",
];

interface BuiltTree {
  dir: string;
  /** Lines that the first build logged. */
  lines: string[];
}

let builtTree: Promise<BuiltTree> | undefined;

/**
 * Builds one tree for the whole file on first use, because a build compiles
 * every C program. The tree is removed when the test process exits.
 */
function getBuiltTree(): Promise<BuiltTree> {
  builtTree ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "tsc-rootfs-test-" });
    addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const lines: string[] = [];
    await buildRootfs(dir, { log: (line) => lines.push(line) });
    return { dir, lines };
  })();
  return builtTree;
}

interface ProgramOutput {
  code: number;
  stdout: string;
  stderr: string;
}

async function runProgram(
  dir: string,
  name: string,
  args: string[],
): Promise<ProgramOutput> {
  const output = await new Deno.Command(path.join(dir, "usr/bin", name), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

interface Server {
  port: number;
  /** Stops the server with SIGTERM and returns everything it printed. */
  stop(): Promise<ProgramOutput>;
}

/**
 * Starts echo-server or tcp-sink on a port that the kernel chooses, and
 * waits for its "listening on port N" line.
 */
async function startServer(
  dir: string,
  name: string,
  args: string[],
): Promise<Server> {
  const child = new Deno.Command(path.join(dir, "usr/bin", name), {
    args: [...args, "0"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await stdout.read();
    if (done) break;
    printed += value;
  }

  const stop = async (): Promise<ProgramOutput> => {
    child.kill("SIGTERM");
    const stderr = new Response(child.stderr).text();
    for (let chunk = await stdout.read(); !chunk.done;) {
      printed += chunk.value;
      chunk = await stdout.read();
    }
    const status = await child.status;
    return { code: status.code, stdout: printed, stderr: await stderr };
  };

  const match = printed.match(/^listening on port (\d+)\n/);
  if (!match) {
    const output = await stop();
    assert.fail(`${name} did not print its port: ${JSON.stringify(output)}`);
  }
  return { port: Number(match[1]), stop };
}

async function modificationTimes(
  dir: string,
  files: string[],
): Promise<number[]> {
  return await Promise.all(
    files.map(async (file) =>
      (await Deno.stat(path.join(dir, file))).mtime!.getTime()
    ),
  );
}

Deno.test("buildRootfs() installs a static busybox", async () => {
  const { dir } = await getBuiltTree();

  assert.equal(await isStaticElf(path.join(dir, "bin/busybox")), true);
});

Deno.test("buildRootfs() links applets inside the tree", async () => {
  const { dir } = await getBuiltTree();
  const busybox = path.join(dir, "bin/busybox");
  const list = await new Deno.Command(busybox, { args: ["--list-full"] })
    .output();
  const applets = new TextDecoder().decode(list.stdout).split("\n")
    .filter((applet) => applet !== "" && applet !== "bin/busybox");

  assert.ok(applets.includes("bin/sh"), "busybox lists no bin/sh applet");
  for (const applet of applets) {
    const link = path.join(dir, applet);
    const target = await Deno.readLink(link);
    assert.ok(!path.isAbsolute(target), `${applet} -> ${target} is absolute`);
    assert.equal(await Deno.realPath(link), await Deno.realPath(busybox));
  }
});

Deno.test("buildRootfs() lays out directories and /etc", async () => {
  const { dir } = await getBuiltTree();

  for (const name of ["proc", "sys", "dev", "run", "root", "usr/sbin"]) {
    assert.ok((await Deno.stat(path.join(dir, name))).isDirectory, name);
  }
  for (const name of ["tmp", "var/tmp"]) {
    const mode = (await Deno.stat(path.join(dir, name))).mode! & 0o7777;
    assert.equal(mode.toString(8), "1777", `mode of ${name}`);
  }
  const passwd = await Deno.readTextFile(path.join(dir, "etc/passwd"));
  assert.match(passwd, /^root:x:0:0:[^:]*:\/root:\/bin\/sh$/m);
  assert.match(passwd, /^nobody:x:65534:/m);
  const profile = await Deno.readTextFile(path.join(dir, "etc/profile"));
  assert.ok(profile.includes("PS1='\\u@\\h:\\w\\$ '"), profile);
  assert.match(profile, /^export PATH=.*\/bin/m);
  const hosts = await Deno.readTextFile(path.join(dir, "etc/hosts"));
  assert.match(hosts, /^127\.0\.0\.1\s+localhost$/m);
});

Deno.test("buildRootfs() compiles static programs", async () => {
  const { dir } = await getBuiltTree();

  for (const name of PROGRAMS) {
    const binary = path.join(dir, "usr/bin", name);
    assert.ok((await Deno.stat(binary)).isFile, `${binary} is missing`);
    assert.equal(await isStaticElf(binary), true, `${name} is not static`);
  }
});

Deno.test("buildRootfs() compiles without warnings", async () => {
  const { lines } = await getBuiltTree();

  const warnings = lines.filter((line) => line.includes("warning"));
  assert.deepEqual(warnings, []);
});

Deno.test("programs print usage and exit 2 without arguments", async () => {
  const { dir } = await getBuiltTree();

  for (const name of PROGRAMS) {
    const output = await runProgram(dir, name, []);
    assert.equal(output.code, 2, `exit status of ${name}`);
    assert.ok(output.stderr.startsWith(`usage: ${name} `), output.stderr);
    assert.equal(output.stdout, "", `stdout of ${name}`);
  }
});

Deno.test("programs reject invalid numbers with status 2", async () => {
  const { dir } = await getBuiltTree();
  const cases: [string, string[]][] = [
    ["echo-server", ["65536"]],
    ["echo-client", ["127.0.0.1", "port"]],
    ["echo-client", ["example.invalid", "7"]],
    ["memhog", ["0", "1"]],
    ["cpuburn", ["-1"]],
    ["spawner", ["2", "x"]],
    ["tcp-sink", ["-5"]],
    ["tcp-send", ["127.0.0.1", "7", "0"]],
  ];

  for (const [name, args] of cases) {
    const output = await runProgram(dir, name, args);
    assert.equal(output.code, 2, `${name} ${args.join(" ")}`);
    assert.match(output.stderr, /invalid/, `${name} ${args.join(" ")}`);
  }
});

Deno.test("ensureRootfs() changes nothing on a built tree", async () => {
  const { dir } = await getBuiltTree();
  const files = ["bin/busybox", ...PROGRAMS.map((name) => `usr/bin/${name}`)];
  const before = await modificationTimes(dir, files);
  const lines: string[] = [];

  assert.deepEqual(await findMissingParts(dir), []);
  await ensureRootfs(dir, { log: (line) => lines.push(line) });

  assert.deepEqual(lines, []);
  assert.deepEqual(await modificationTimes(dir, files), before);
});

Deno.test("ensureRootfs() recompiles a stale program", async () => {
  const { dir } = await getBuiltTree();
  const binary = path.join(dir, "usr/bin/memhog");
  await Deno.utime(binary, 0, 0);
  const lines: string[] = [];

  await ensureRootfs(dir, { log: (line) => lines.push(line) });

  const compiled = lines.filter((line) => line.startsWith("compiled "));
  assert.deepEqual(compiled, ["compiled usr/bin/memhog"]);
  assert.ok((await Deno.stat(binary)).mtime!.getTime() > 0);
  assert.equal(await isStaticElf(binary), true);
});

Deno.test("buildRootfs() rejects a dynamic busybox", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tsc-rootfs-test-" });
  try {
    await assert.rejects(
      buildRootfs(dir, { busybox: "/bin/ls", log: () => {} }),
      (error: unknown) => {
        assert.ok(error instanceof RuntimeError);
        assert.match(error.message, /\/bin\/ls is dynamically linked/);
        assert.match(error.message, /busybox-static/);
        assert.match(error.message, /TSC_BUSYBOX/);
        return true;
      },
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isStaticElf() detects dynamic /bin/ls", async () => {
  assert.equal(await isStaticElf("/bin/ls"), false);
});

Deno.test("isStaticElf() rejects a non-ELF file", async () => {
  await assert.rejects(isStaticElf("/etc/passwd"), (error: unknown) => {
    assert.ok(error instanceof RuntimeError);
    assert.equal(error.message, "/etc/passwd is not an ELF file");
    return true;
  });
});

Deno.test("echo-server echoes lines to echo-client", async () => {
  const { dir } = await getBuiltTree();
  const server = await startServer(dir, "echo-server", []);
  let reply: ProgramOutput;
  try {
    reply = await runProgram(dir, "echo-client", [
      "127.0.0.1",
      String(server.port),
      "hello",
      "two words",
    ]);
  } finally {
    const log = await server.stop();
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stderr, /connection from 127\.0\.0\.1:\d+\n/);
    assert.match(log.stderr, /127\.0\.0\.1:\d+ disconnected\n/);
  }

  assert.equal(reply.code, 0, reply.stderr);
  assert.equal(reply.stdout, "hello\ntwo words\n");
});

Deno.test("echo-server -H prefixes the hostname", async () => {
  const { dir } = await getBuiltTree();
  const server = await startServer(dir, "echo-server", ["-H"]);
  let reply: ProgramOutput;
  try {
    reply = await runProgram(dir, "echo-client", [
      "localhost",
      String(server.port),
      "hello",
    ]);
  } finally {
    await server.stop();
  }

  assert.equal(reply.code, 0, reply.stderr);
  assert.equal(reply.stdout, `${Deno.hostname()}: hello\n`);
});

Deno.test("echo-server serves clients concurrently", async () => {
  const { dir } = await getBuiltTree();
  const server = await startServer(dir, "echo-server", []);
  let reply: ProgramOutput;
  try {
    // The first client stays connected while the second one is served.
    using first = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await first.write(new TextEncoder().encode("first\n"));
    reply = await runProgram(dir, "echo-client", [
      "127.0.0.1",
      String(server.port),
      "second",
    ]);
    const firstReply = new Uint8Array(6);
    assert.equal(await first.read(firstReply), 6);
    assert.equal(new TextDecoder().decode(firstReply), "first\n");
  } finally {
    await server.stop();
  }

  assert.equal(reply.code, 0, reply.stderr);
  assert.equal(reply.stdout, "second\n");
});

Deno.test("echo-client reports a refused connection", async () => {
  const { dir } = await getBuiltTree();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();

  const output = await runProgram(dir, "echo-client", [
    "127.0.0.1",
    String(port),
    "hello",
  ]);

  assert.equal(output.code, 1);
  assert.equal(
    output.stderr,
    `echo-client: connect to 127.0.0.1:${port} failed: Connection refused\n`,
  );
});

Deno.test("tcp-send reports throughput to tcp-sink", async () => {
  const { dir } = await getBuiltTree();
  const sink = await startServer(dir, "tcp-sink", []);
  let sent: ProgramOutput;
  let received: ProgramOutput;
  try {
    sent = await runProgram(dir, "tcp-send", [
      "127.0.0.1",
      String(sink.port),
      "4",
    ]);
  } finally {
    received = await sink.stop();
  }

  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^sent 4 MiB in [\d.]+ s: [\d.]+ MiB\/s\n$/);
  assert.equal(received.code, 0, received.stderr);
  assert.match(
    received.stdout,
    /\nreceived 4194304 bytes from 127\.0\.0\.1:\d+ in [\d.]+ s: [\d.]+ MiB\/s\n/,
  );
});

Deno.test("memhog prints each step", async () => {
  const { dir } = await getBuiltTree();

  const output = await runProgram(dir, "memhog", ["10", "4"]);

  assert.equal(output.code, 0, output.stderr);
  assert.equal(
    output.stdout,
    "holding 4 MiB\nholding 8 MiB\nholding 10 MiB\ndone: holding 10 MiB\n",
  );
});

Deno.test("cpuburn prints CPU time and ratio", async () => {
  const { dir } = await getBuiltTree();

  const output = await runProgram(dir, "cpuburn", ["0.2", "2"]);

  assert.equal(output.code, 0, output.stderr);
  assert.match(
    output.stdout,
    /^cpu [\d.]+ s, wall [\d.]+ s, ratio [\d.]+ \(2 threads\)\n$/,
  );
});

Deno.test("spawner reports all processes started", async () => {
  const { dir } = await getBuiltTree();

  const output = await runProgram(dir, "spawner", ["3", "0.1"]);

  assert.equal(output.code, 0, output.stderr);
  assert.equal(output.stdout, "started 3 of 3 processes\n");
  assert.equal(output.stderr, "");
});
