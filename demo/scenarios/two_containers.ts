/**
 * Two containers at once: both run the echo server on the same port, each
 * replies with its own hostname, and neither container's ps lists the other's
 * processes.
 */
import { echoToContainer } from "../host.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import type { ContainerSession } from "../session.ts";

const PORT = 7000;

/**
 * Each container also runs a sleep with its own duration, so that its
 * processes can be distinguished from the other container's in `ps`.
 */
const CONTAINERS = [
  { base: "a", hostname: "demo-a", marker: "sleep 1001" },
  { base: "b", hostname: "demo-b", marker: "sleep 1002" },
] as const;

type Member = { shell: ContainerSession } & typeof CONTAINERS[number];

async function startMember(
  ctx: ScenarioContext,
  spec: typeof CONTAINERS[number],
): Promise<Member> {
  const shell = await ctx.startContainer({
    name: ctx.containerName(spec.base),
    hostname: spec.hostname,
  });
  await shell.send(`${spec.marker} &`);
  await shell.send(`echo-server -H ${PORT} &`);
  await shell.waitFor(new RegExp(`listening on port ${PORT}`));
  return { shell, ...spec };
}

/** Returns the reply line that the container's echo server sent. */
async function checkReply(ctx: ScenarioContext, member: Member) {
  const reply = await echoToContainer(ctx.out, member.shell, PORT, ["hello"]);
  const line = reply.stdout[0] ?? "";
  ctx.check(
    reply.code === 0 && line === `${member.hostname}: hello`,
    `${member.shell.info?.network?.address}:${PORT} replies as ${member.hostname}`,
    JSON.stringify(line),
  );
  return line;
}

async function checkProcesses(
  ctx: ScenarioContext,
  member: Member,
  other: Member,
): Promise<void> {
  const { stdout } = await member.shell.exec("ps");
  const text = stdout.join("\n");
  ctx.check(
    text.includes(member.marker) && !text.includes(other.marker),
    `${member.hostname}'s ps shows its ${member.marker}, not ${other.hostname}'s ${other.marker}`,
    `${stdout.length - 1} processes listed`,
  );
}

async function run(ctx: ScenarioContext): Promise<void> {
  const a = await startMember(ctx, CONTAINERS[0]);
  const b = await startMember(ctx, CONTAINERS[1]);
  const addressA = a.shell.info?.network?.address;
  const addressB = b.shell.info?.network?.address;
  ctx.check(
    addressA !== undefined && addressA !== addressB,
    "the containers have different addresses",
    `${addressA} and ${addressB}`,
  );

  const replyA = await checkReply(ctx, a);
  const replyB = await checkReply(ctx, b);
  ctx.check(
    replyA !== replyB,
    "the two replies differ",
    `${JSON.stringify(replyA)} and ${JSON.stringify(replyB)}`,
  );
  await checkProcesses(ctx, a, b);
  await checkProcesses(ctx, b, a);
  ctx.figure =
    `${a.hostname} at ${addressA} and ${b.hostname} at ${addressB}, both on port ${PORT}`;
  await ctx.stopContainer(a.shell);
  await ctx.stopContainer(b.shell);
}

export const twoContainers: Scenario = {
  name: "two-containers",
  summary: "two echo servers on the same port, each blind to the other",
  run,
};
