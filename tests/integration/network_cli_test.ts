/**
 * Container networking through the CLI, as a user runs it: echo exchanges
 * with containers, published ports, `--network none`, /etc/hosts and bad
 * input.
 *
 * Network safety: clients connect only to loopback and to the addresses of
 * containers that these tests started, while the containers run.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { stateDirOf } from "../../src/state/store.ts";
import type { ContainerState } from "../../src/state/store.ts";
import {
  findCgroupDirs,
  MAIN,
  NOT_ROOT,
  prepareRootfs,
  REPO,
  ROOTFS,
  runCli,
  uniqueName,
} from "./helpers.ts";
import {
  assertNetworkGone,
  ECHO_PORT,
  exchangeLine,
  freeLoopbackPort,
  readFirstLine,
} from "./network_helpers.ts";

const CONCURRENT_CONTAINERS = 20;

/** A container started in the background through the CLI. */
interface RunningContainer {
  name: string;
  process: Deno.ChildProcess;
  stderr: Promise<string>;
  /** The container's address, read from its state file. */
  address: string;
}

/** Asserts that nothing of container `name` is left on the host. */
async function assertContainerGone(name: string): Promise<void> {
  await assertNetworkGone(name);
  assertEquals(findCgroupDirs(name), [], `cgroups of ${name} left`);
  let stateDirLeft = true;
  try {
    Deno.statSync(stateDirOf(name));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    stateDirLeft = false;
  }
  assert(!stateDirLeft, `state directory of ${name} left`);
}

/**
 * Starts `echo-server -H 7000` in a container and waits until it listens.
 * The server prints its "listening" line only after the runtime has set up
 * the network and written the state file.
 */
async function startEchoContainer(
  name: string,
  args: string[] = [],
): Promise<RunningContainer> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "run",
      "--name",
      name,
      "--rootfs",
      ROOTFS,
      ...args,
      "--",
      "echo-server",
      "-H",
      `${ECHO_PORT}`,
    ],
    stdout: "piped",
    stderr: "piped",
    cwd: REPO,
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(process.stderr).text();
  const container = { name, process, stderr, address: "" };
  try {
    const line = await readFirstLine(process.stdout, `container ${name}`);
    assertEquals(line, `listening on port ${ECHO_PORT}`);
    const state: ContainerState = JSON.parse(
      Deno.readTextFileSync(join(stateDirOf(name), "state.json")),
    );
    container.address = state.network!.address!;
    return container;
  } catch (error) {
    await stopContainer(container);
    throw new Error(`container ${name} did not start: ${await stderr}`, {
      cause: error,
    });
  }
}

/** Stops the container with SIGTERM, which the runtime relays to it. */
async function stopContainer(container: RunningContainer): Promise<number> {
  try {
    container.process.kill("SIGTERM");
  } catch {
    // The runtime has already exited.
  }
  const status = await container.process.status;
  await container.stderr;
  return status.code;
}

/**
 * Starts an echo container for each name, runs `fn` with them, then stops
 * them all and checks that each exited with status 0 and left nothing.
 */
async function withEchoContainers(
  names: string[],
  args: string[],
  fn: (containers: RunningContainer[]) => Promise<void>,
): Promise<void> {
  await prepareRootfs();
  const started = await Promise.allSettled(
    names.map((name) => startEchoContainer(name, args)),
  );
  const containers = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : []
  );
  let codes: number[] = [];
  try {
    const failure = started.find((result) => result.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
    await fn(containers);
  } finally {
    codes = await Promise.all(containers.map(stopContainer));
  }
  assertEquals(codes, containers.map(() => 0));
  for (const container of containers) await assertContainerGone(container.name);
}

Deno.test({
  name: "host exchanges a line with a container",
  ignore: NOT_ROOT,
  async fn() {
    await withEchoContainers(
      [uniqueName("netcli")],
      [],
      async ([container]) => {
        const reply = await exchangeLine(container.address, ECHO_PORT, "hello");

        assertEquals(reply, `${container.name}: hello`);
      },
    );
  },
});

Deno.test({
  name: "two containers answer on one port",
  ignore: NOT_ROOT,
  async fn() {
    const names = [uniqueName("netcli"), uniqueName("netcli")];
    await withEchoContainers(names, [], async (containers) => {
      const replies = await Promise.all(
        containers.map((container) =>
          exchangeLine(container.address, ECHO_PORT, "who are you")
        ),
      );

      assert(containers[0].address !== containers[1].address);
      assertEquals(replies, names.map((name) => `${name}: who are you`));
    });
  },
});

Deno.test({
  name: "container reaches another by address",
  ignore: NOT_ROOT,
  async fn() {
    const clientName = uniqueName("netcli");
    await withEchoContainers([uniqueName("netcli")], [], async ([server]) => {
      const result = await runCli([
        "run",
        "--name",
        clientName,
        "--rootfs",
        ROOTFS,
        "--",
        "echo-client",
        server.address,
        `${ECHO_PORT}`,
        "across the bridge",
      ]);

      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stdout, `${server.name}: across the bridge\n`);
    });
    await assertContainerGone(clientName);
  },
});

Deno.test({
  name: "published port answers on loopback",
  ignore: NOT_ROOT,
  async fn() {
    const hostPort = freeLoopbackPort();
    const args = ["-p", `127.0.0.1:${hostPort}:${ECHO_PORT}`];
    await withEchoContainers(
      [uniqueName("netcli")],
      args,
      async ([container]) => {
        const reply = await exchangeLine("127.0.0.1", hostPort, "published");

        assertEquals(reply, `${container.name}: published`);
      },
    );
  },
});

Deno.test({
  name: "--network none has only lo",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("netcli");

    const result = await runCli([
      "run",
      "--name",
      name,
      "--rootfs",
      ROOTFS,
      "--network",
      "none",
      "--",
      "cat",
      "/proc/net/dev",
    ]);

    assertEquals(result.code, 0, result.stderr);
    const interfaces = result.stdout.split("\n").slice(2)
      .filter((line) => line.trim() !== "")
      .map((line) => line.split(":")[0].trim());
    assertEquals(interfaces, ["lo"]);
    await assertContainerGone(name);
  },
});

Deno.test({
  name: "/etc/hosts maps the hostname",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("netcli");
    const hostsOnDisk = `${ROOTFS}/etc/hosts`;
    const before = Deno.readTextFileSync(hostsOnDisk);

    const result = await runCli([
      "run",
      "--name",
      name,
      "--rootfs",
      ROOTFS,
      "--hostname",
      "web",
      "--",
      "sh",
      "-c",
      "cat /etc/hosts; echo ---; cat /proc/net/fib_trie",
    ]);

    assertEquals(result.code, 0, result.stderr);
    const [hosts, fibTrie] = result.stdout.split("---\n");
    assertMatch(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    const address = /^(\d+\.\d+\.\d+\.\d+)\tweb$/m.exec(hosts)?.[1];
    assert(address, `no address for web in ${hosts}`);
    assert(fibTrie.includes(address), `${address} is not on eth0`);
    assertEquals(Deno.readTextFileSync(hostsOnDisk), before);
    await assertContainerGone(name);
  },
});

Deno.test({
  name: "bad network input exits 125",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const cases: [string[], RegExp][] = [
      [["-p", "70000:80"], /"70000" is not a port number from 1 to 65535/],
      [["-p", "53:53/udp"], /UDP is not supported/],
      [["-p", "8080"], /expected \[IP:\]HOSTPORT:CONTAINERPORT/],
      [["--subnet", "10.77.0.1/16"], /host bits are set/],
      [["--subnet", "10.0.0.0/31"], /prefix length must be from 8 to 30/],
      [["--ip", "10.0.0.300"], /invalid --ip "10\.0\.0\.300"/],
      [["--ip", "192.168.255.2"], /outside the subnet/],
      [
        ["--network", "none", "-p", "8080:80"],
        /cannot be used with --network none/,
      ],
    ];
    for (const [args, message] of cases) {
      const name = uniqueName("netcli");

      const result = await runCli([
        "run",
        "--name",
        name,
        "--rootfs",
        ROOTFS,
        ...args,
        "--",
        "true",
      ]);

      assertEquals(result.code, 125, `${args.join(" ")}: ${result.stderr}`);
      assertMatch(result.stderr, message);
      await assertContainerGone(name);
    }
  },
});

Deno.test({
  name: "host port in use exits 125",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const name = uniqueName("netcli");
    const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const hostPort = (blocker.addr as Deno.NetAddr).port;
    try {
      const result = await runCli([
        "run",
        "--name",
        name,
        "--rootfs",
        ROOTFS,
        "-p",
        `${hostPort}:80`,
        "--",
        "true",
      ]);

      assertEquals(result.code, 125, result.stderr);
      assertMatch(result.stderr, new RegExp(`${hostPort} is already in use`));
      await assertContainerGone(name);
    } finally {
      blocker.close();
    }
  },
});

Deno.test({
  name: "20 concurrent containers all answer",
  ignore: NOT_ROOT,
  async fn() {
    const names = Array.from(
      { length: CONCURRENT_CONTAINERS },
      () => uniqueName("netcli"),
    );
    await withEchoContainers(names, [], async (containers) => {
      const addresses = containers.map((container) => container.address);

      const replies = await Promise.all(
        addresses.map((address) => exchangeLine(address, ECHO_PORT, "ping")),
      );

      assertEquals(new Set(addresses).size, CONCURRENT_CONTAINERS);
      assertEquals(replies, names.map((name) => `${name}: ping`));
    });
  },
});
