/**
 * Container networking against the real kernel, without the CLI: namespaces,
 * veth pairs on tsc0, addresses, published ports and teardown.
 *
 * Network safety: traffic goes only to loopback and to addresses of
 * namespaces that these tests created, while their veth pair is up. Absence
 * after teardown is checked through `ip` and the state directory, never by
 * connecting.
 *
 * Run with `deno run -A network_test.ts child NAME`, this file is the helper
 * process of the concurrency test: it prepares the network of NAME, prints
 * its state as one JSON line, and removes it when its stdin closes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { RuntimeError } from "../../src/errors.ts";
import {
  hostVethNameOf,
  ipProcessCount,
  netnsNameOf,
  prepareNetwork,
  removeNetworkFromState,
  startPortForwarding,
} from "../../src/network/mod.ts";
import type {
  ContainerNetwork,
  NetworkOptions,
} from "../../src/network/mod.ts";
import { linkExists } from "../../src/network/netns.ts";
import { FileLock } from "../../src/state/lock.ts";
import { stateDirOf } from "../../src/state/store.ts";
import type { NetworkState } from "../../src/state/store.ts";
import { NOT_ROOT, prepareRootfs, uniqueName } from "./helpers.ts";
import {
  assertNetworkGone,
  ECHO_CLIENT,
  ECHO_PORT,
  ECHO_SERVER,
  exchangeLine,
  freeLoopbackPort,
  ip,
  readFirstLine,
  stopProcess,
} from "./network_helpers.ts";

const CONCURRENT_STARTS = 20;
const BRIDGE: NetworkOptions = { mode: "bridge", ports: [] };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A state directory whose lock is held, as the runtime holds it. */
interface Slot {
  name: string;
  dir: string;
  lock: FileLock;
}

function reserveSlot(name: string): Slot {
  const dir = stateDirOf(name);
  Deno.mkdirSync(dir, { recursive: true });
  return { name, dir, lock: FileLock.acquire(join(dir, "lock")) };
}

function releaseSlot(slot: Slot): void {
  slot.lock.release();
  Deno.removeSync(slot.dir, { recursive: true });
}

/** Returns the rejection of `promise`, failing the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

/** Starts echo-server inside the namespace and waits until it listens. */
async function startEchoServer(name: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", netnsNameOf(name), ECHO_SERVER, `${ECHO_PORT}`],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const line = await readFirstLine(child.stdout, `echo-server in ${name}`);
  assertEquals(line, `listening on port ${ECHO_PORT}`);
  return child;
}

Deno.test({
  name: "prepareNetwork() connects a namespace to tsc0",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const slot = reserveSlot(uniqueName("nettest"));
    let network: ContainerNetwork | undefined;
    let server: Deno.ChildProcess | undefined;
    try {
      const bridgeExisted = linkExists("tsc0");
      const before = ipProcessCount();
      network = await prepareNetwork(slot.name, slot.dir, BRIDGE);
      const started = ipProcessCount() - before;
      const { address, prefixLength, gateway, hostVeth } = network.state;
      const netns = netnsNameOf(slot.name);

      assertEquals(started, bridgeExisted ? 2 : 3, "ip processes per start");
      assertEquals(network.netnsPath, `/run/netns/${netns}`);
      assertEquals(hostVeth, hostVethNameOf(slot.name));
      assertMatch(hostVeth!, /^tscv[0-9a-f]{8}$/);
      assertMatch(
        await ip("-o", "link", "show", hostVeth!),
        /master tsc0 .*state UP/,
      );
      assertMatch(
        await ip("-n", netns, "-br", "link", "show", "lo"),
        /UNKNOWN|UP/,
      );
      assertMatch(
        await ip("-n", netns, "-o", "-4", "addr", "show", "eth0"),
        new RegExp(`inet ${address}/${prefixLength} `),
      );
      assertMatch(
        await ip("-n", netns, "route", "show", "default"),
        new RegExp(`default via ${gateway} dev eth0`),
      );
      assertEquals(
        Deno.readTextFileSync(join(slot.dir, "address")),
        `${address}\n`,
      );

      server = await startEchoServer(slot.name);
      const reply = await exchangeLine(address!, ECHO_PORT, "hello bridge");
      assertEquals(reply, "hello bridge");

      await stopProcess(server);
      server = undefined;
      const beforeRemove = ipProcessCount();
      await network.remove();
      assertEquals(ipProcessCount() - beforeRemove, 1, "ip processes per stop");
      await assertNetworkGone(slot.name);
    } finally {
      if (server) await stopProcess(server);
      await network?.remove();
      releaseSlot(slot);
    }
  },
});

Deno.test({
  name: "remove() is idempotent",
  ignore: NOT_ROOT,
  async fn() {
    const slot = reserveSlot(uniqueName("nettest"));
    try {
      const network = await prepareNetwork(slot.name, slot.dir, BRIDGE);

      await network.remove();
      await network.remove();

      await assertNetworkGone(slot.name);
    } finally {
      releaseSlot(slot);
    }
  },
});

Deno.test({
  name: "concurrent calls in one process",
  ignore: NOT_ROOT,
  async fn() {
    const slots = [1, 2, 3].map(() => reserveSlot(uniqueName("nettest")));
    const results = await Promise.allSettled(
      slots.map((slot) => prepareNetwork(slot.name, slot.dir, BRIDGE)),
    );
    const networks = results.flatMap((result) =>
      result.status === "fulfilled" ? [result.value] : []
    );
    try {
      const addresses = networks.map((network) => network.state.address);

      assertEquals(networks.length, slots.length, `${results}`);
      assertEquals(new Set(addresses).size, slots.length, `${addresses}`);
    } finally {
      for (const network of networks) await network.remove();
      slots.forEach(releaseSlot);
    }
    for (const slot of slots) await assertNetworkGone(slot.name);
  },
});

Deno.test({
  name: "two namespaces talk over tsc0",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const server = reserveSlot(uniqueName("nettest"));
    const client = reserveSlot(uniqueName("nettest"));
    const networks: ContainerNetwork[] = [];
    let echo: Deno.ChildProcess | undefined;
    try {
      networks.push(await prepareNetwork(server.name, server.dir, BRIDGE));
      networks.push(await prepareNetwork(client.name, client.dir, BRIDGE));
      echo = await startEchoServer(server.name);

      const output = await new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          netnsNameOf(client.name),
          ECHO_CLIENT,
          networks[0].state.address!,
          `${ECHO_PORT}`,
          "from the other namespace",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();

      assertEquals(output.code, 0, decoder.decode(output.stderr));
      assertEquals(decoder.decode(output.stdout), "from the other namespace\n");
    } finally {
      if (echo) await stopProcess(echo);
      for (const network of networks) await network.remove();
      releaseSlot(server);
      releaseSlot(client);
    }
    await assertNetworkGone(server.name);
    await assertNetworkGone(client.name);
  },
});

Deno.test({
  name: "published port forwards from loopback",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const slot = reserveSlot(uniqueName("nettest"));
    const hostPort = freeLoopbackPort();
    const options: NetworkOptions = {
      mode: "bridge",
      ports: [{ hostPort, containerPort: ECHO_PORT, hostIp: "127.0.0.1" }],
    };
    let network: ContainerNetwork | undefined;
    let server: Deno.ChildProcess | undefined;
    try {
      network = await prepareNetwork(slot.name, slot.dir, options);
      server = await startEchoServer(slot.name);
      startPortForwarding(network);

      const reply = await exchangeLine("127.0.0.1", hostPort, "via the proxy");
      const again = await exchangeLine("127.0.0.1", hostPort, "second client");

      assertEquals(reply, "via the proxy");
      assertEquals(again, "second client");
      assertEquals(network.state.ports, [{
        hostPort,
        containerPort: ECHO_PORT,
      }]);
    } finally {
      if (server) await stopProcess(server);
      await network?.remove();
      releaseSlot(slot);
    }
    await assertNetworkGone(slot.name);
    // Binding, not connecting: the forwarder released the port.
    Deno.listen({ hostname: "127.0.0.1", port: hostPort }).close();
  },
});

Deno.test({
  name: "host port in use fails before setup",
  ignore: NOT_ROOT,
  async fn() {
    const slot = reserveSlot(uniqueName("nettest"));
    const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const hostPort = (blocker.addr as Deno.NetAddr).port;
    try {
      const options: NetworkOptions = {
        mode: "bridge",
        ports: [{ hostPort, containerPort: 80 }],
      };

      const error = await rejectionOf(
        prepareNetwork(slot.name, slot.dir, options),
      );

      assert(error instanceof RuntimeError, String(error));
      assertEquals(error.exitCode, 125);
      assertMatch(
        error.message,
        new RegExp(`host port 0.0.0.0:${hostPort} is already in use`),
      );
      assertMatch(error.hint ?? "", /choose another host port/);
      await assertNetworkGone(slot.name);
    } finally {
      blocker.close();
      releaseSlot(slot);
    }
  },
});

Deno.test({
  name: "taken --ip is rejected",
  ignore: NOT_ROOT,
  async fn() {
    const first = reserveSlot(uniqueName("nettest"));
    const second = reserveSlot(uniqueName("nettest"));
    let network: ContainerNetwork | undefined;
    try {
      network = await prepareNetwork(first.name, first.dir, BRIDGE);
      const taken = network.state.address!;

      const error = await rejectionOf(
        prepareNetwork(second.name, second.dir, { ...BRIDGE, ip: taken }),
      );

      assert(error instanceof RuntimeError, String(error));
      assertMatch(
        error.message,
        new RegExp(
          `--ip ${taken} is already used by container "${first.name}"`,
        ),
      );
      await assertNetworkGone(second.name);
    } finally {
      await network?.remove();
      releaseSlot(first);
      releaseSlot(second);
    }
  },
});

Deno.test({
  name: "another subnet than tsc0's is rejected",
  ignore: NOT_ROOT,
  async fn() {
    const first = reserveSlot(uniqueName("nettest"));
    const second = reserveSlot(uniqueName("nettest"));
    let network: ContainerNetwork | undefined;
    try {
      network = await prepareNetwork(first.name, first.dir, BRIDGE);
      const other = network.state.address!.startsWith("10.78.")
        ? "10.79.0.0/16"
        : "10.78.0.0/16";

      const error = await rejectionOf(
        prepareNetwork(second.name, second.dir, { ...BRIDGE, subnet: other }),
      );

      assert(error instanceof RuntimeError, String(error));
      assertMatch(error.message, new RegExp(`not ${other} from --subnet`));
      assertMatch(error.hint ?? "", /ip link del tsc0/);
      await assertNetworkGone(second.name);
    } finally {
      await network?.remove();
      releaseSlot(first);
      releaseSlot(second);
    }
  },
});

Deno.test({
  name: "--network none has only lo",
  ignore: NOT_ROOT,
  async fn() {
    const slot = reserveSlot(uniqueName("nettest"));
    let network: ContainerNetwork | undefined;
    try {
      network = await prepareNetwork(slot.name, slot.dir, {
        mode: "none",
        ports: [],
      });
      const links = await ip("-n", netnsNameOf(slot.name), "-br", "link");

      assertEquals(network.state, {
        mode: "none",
        netns: netnsNameOf(slot.name),
      });
      assertEquals(links.trim().split("\n").length, 1, links);
      assertMatch(links, /^lo +UNKNOWN/);

      await network.remove();
      await assertNetworkGone(slot.name);
    } finally {
      await network?.remove();
      releaseSlot(slot);
    }
  },
});

/** A helper process that keeps one container's network up. */
interface Child {
  name: string;
  process: Deno.ChildProcess;
}

function spawnChild(name: string): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", import.meta.filename!, "child", name],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  return { name, process };
}

async function readChildState(child: Child): Promise<NetworkState> {
  const line = await readFirstLine(child.process.stdout, `child ${child.name}`);
  return JSON.parse(line);
}

/** Closes the child's stdin, so it removes its network, and waits for it. */
async function finishChild(child: Child): Promise<Deno.CommandStatus> {
  try {
    await child.process.stdin.close();
  } catch {
    // Already closed by an earlier call.
  }
  return await child.process.status;
}

/** Removes what a child left when it did not finish, as a crash cleanup does. */
async function reclaimChild(child: Child): Promise<void> {
  const dir = stateDirOf(child.name);
  const netns = netnsNameOf(child.name);
  await removeNetworkFromState(child.name, dir, { mode: "bridge", netns });
  await Deno.remove(dir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

Deno.test({
  name: "20 concurrent starts get distinct addresses",
  ignore: NOT_ROOT,
  async fn() {
    await prepareRootfs();
    const names = Array.from(
      { length: CONCURRENT_STARTS },
      () => uniqueName("nettest"),
    );
    const children = names.map(spawnChild);
    const servers: Deno.ChildProcess[] = [];
    let statuses: Deno.CommandStatus[] = [];
    try {
      const states = await Promise.all(children.map(readChildState));
      const addresses = states.map((state) => state.address!);

      assertEquals(new Set(addresses).size, CONCURRENT_STARTS, `${addresses}`);
      for (const state of states) {
        assertEquals(state.gateway, states[0].gateway);
        assert(state.address !== state.gateway, `${state.address}`);
      }

      for (const name of names) servers.push(await startEchoServer(name));
      const replies = await Promise.all(
        addresses.map((address) => exchangeLine(address, ECHO_PORT, address)),
      );
      assertEquals(replies, addresses);
    } finally {
      for (const server of servers) await stopProcess(server);
      statuses = await Promise.all(children.map(finishChild));
      for (const child of children) await reclaimChild(child);
    }
    assertEquals(statuses.map((status) => status.code), names.map(() => 0));
    for (const name of names) await assertNetworkGone(name);
  },
});

Deno.test({
  name: "removeNetworkFromState() cleans up after a crash",
  ignore: NOT_ROOT,
  async fn() {
    const child = spawnChild(uniqueName("nettest"));
    try {
      const state = await readChildState(child);
      child.process.kill("SIGKILL");
      await child.process.status;
      assertMatch(await ip("netns", "list"), new RegExp(state.netns));

      await removeNetworkFromState(child.name, stateDirOf(child.name), state);

      await assertNetworkGone(child.name);
    } finally {
      await finishChild(child);
      await reclaimChild(child);
    }
  },
});

/** The helper process: keeps NAME's network up until stdin closes. */
async function runChild(name: string): Promise<void> {
  const slot = reserveSlot(name);
  try {
    const network = await prepareNetwork(name, slot.dir, BRIDGE);
    await Deno.stdout.write(
      encoder.encode(JSON.stringify(network.state) + "\n"),
    );
    for await (const _ of Deno.stdin.readable) {
      // Waits for end of file: the parent closes stdin to stop the child.
    }
    await network.remove();
  } finally {
    releaseSlot(slot);
  }
}

if (import.meta.main && Deno.args[0] === "child") {
  await runChild(Deno.args[1]);
}
