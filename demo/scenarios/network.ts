/**
 * Network: an echo server started from the container's shell replies to
 * a client on the host at the container's address, and through a port
 * published on 127.0.0.1.
 */
import {
  echoToContainer,
  echoToLoopback,
  findFreeLoopbackPort,
  runOnHost,
} from "../host.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import { DemoError } from "../runtime.ts";
import type { ContainerSession } from "../session.ts";

const HOSTNAME = "demo-net";
const PORT = 7000;

/** Shows both ends of the veth pair: eth0 inside, the tsc0 bridge outside. */
async function showAddresses(
  ctx: ScenarioContext,
  shell: ContainerSession,
): Promise<{ address: string; gateway: string }> {
  const address = shell.info?.network?.address;
  const gateway = shell.info?.network?.gateway;
  if (!address || !gateway) {
    throw new DemoError(`tscontainer ps lists no address for ${shell.name}`);
  }
  const inside = await shell.exec("ip -4 addr show dev eth0");
  ctx.check(
    inside.stdout.some((line) => line.includes(`inet ${address}/`)),
    "eth0 in the container has the address that ps lists",
    address,
  );
  const bridge = await runOnHost(ctx.out, "ip", [
    "-4",
    "-br",
    "addr",
    "show",
    "dev",
    "tsc0",
  ]);
  ctx.check(
    bridge.stdout.some((line) => line.includes(` ${gateway}/`)),
    "the host's tsc0 bridge has the container's gateway address",
    gateway,
  );
  return { address, gateway };
}

async function checkDirect(
  ctx: ScenarioContext,
  shell: ContainerSession,
  gateway: string,
): Promise<void> {
  const lines = ["hello from the host", "a second line"];
  const reply = await echoToContainer(ctx.out, shell, PORT, lines);
  const expected = lines.map((line) => `${HOSTNAME}: ${line}`);
  ctx.check(
    reply.code === 0 && reply.stdout.join("\n") === expected.join("\n"),
    "the host client gets each line back from the container",
    `status ${reply.code}, ${reply.stdout.length} of ${lines.length} replies`,
  );
  const from = await shell.waitFor(/connection from ([0-9.]+):/, "stderr");
  ctx.check(
    from[1] === gateway,
    "the server sees the connection come from the host's bridge address",
    from[1],
  );
}

async function checkPublished(
  ctx: ScenarioContext,
  hostPort: number,
): Promise<void> {
  const reply = await echoToLoopback(ctx.out, hostPort, [
    "through the published port",
  ]);
  ctx.check(
    reply.code === 0 &&
      reply.stdout[0] === `${HOSTNAME}: through the published port`,
    `127.0.0.1:${hostPort} reaches port ${PORT} in the container`,
    `status ${reply.code}, reply ${JSON.stringify(reply.stdout[0] ?? "")}`,
  );
}

async function run(ctx: ScenarioContext): Promise<void> {
  const hostPort = findFreeLoopbackPort();
  const shell = await ctx.startContainer({
    name: ctx.containerName("net"),
    hostname: HOSTNAME,
    runArgs: ["-p", `127.0.0.1:${hostPort}:${PORT}`],
  });
  await shell.send(`echo-server -H ${PORT} &`);
  await shell.waitFor(new RegExp(`listening on port ${PORT}`));

  const { address, gateway } = await showAddresses(ctx, shell);
  await checkDirect(ctx, shell, gateway);
  await checkPublished(ctx, hostPort);
  ctx.figure =
    `echoed at ${address}:${PORT} and at 127.0.0.1:${hostPort} (published)`;
  await ctx.stopContainer(shell);
}

export const network: Scenario = {
  name: "network",
  summary: "echo server in the container, client on the host",
  run,
};
