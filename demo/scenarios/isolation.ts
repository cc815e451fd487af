/**
 * Isolation basics: the container has its own hostname, root filesystem,
 * process table and namespaces.
 */
import {
  countHostProcesses,
  listRootfsEntries,
  NAMESPACES,
  readHostNamespaceIds,
} from "../host.ts";
import type { Scenario, ScenarioContext } from "../runner.ts";
import type { ContainerSession } from "../session.ts";

const HOSTNAME = "demo-iso";

async function checkHostname(ctx: ScenarioContext, shell: ContainerSession) {
  const { stdout } = await shell.exec("hostname");
  ctx.check(
    stdout.join("") === HOSTNAME,
    `hostname prints the --hostname value ${HOSTNAME}`,
    JSON.stringify(stdout.join("\n")),
  );
}

async function checkRootfs(ctx: ScenarioContext, shell: ContainerSession) {
  const { stdout } = await shell.exec("ls /");
  const seen = stdout.flatMap((line) => line.split(/\s+/)).filter((e) => e)
    .sort();
  const expected = listRootfsEntries();
  ctx.check(
    seen.join(" ") === expected.join(" "),
    "ls / lists the entries of the rootfs directory",
    `${seen.length} entries in the container, ${expected.length} in rootfs/`,
  );
}

/** Returns the number of processes the container's `ps` listed. */
async function checkProcesses(
  ctx: ScenarioContext,
  shell: ContainerSession,
): Promise<number> {
  const { stdout } = await shell.exec("ps");
  const rows = stdout.slice(1).map((line) => line.trim().split(/\s+/));
  const first = rows.find((row) => row[0] === "1");
  ctx.check(
    first?.slice(2).join(" ") === "/bin/sh",
    "PID 1 is the container's shell",
    first ? `PID 1 is ${first.slice(2).join(" ")}` : "no PID 1 listed",
  );
  // Besides PID 1, only ps itself may be listed: busybox shows it as "ps"
  // or as "{ps} /bin/sh" when the shell runs the applet in a forked child.
  const others = rows.filter((row) => row[0] !== "1");
  const hostCount = countHostProcesses();
  ctx.check(
    others.every((row) => /\bps\b/.test(row.slice(2).join(" "))),
    "ps shows the shell and ps, nothing of the host",
    `${rows.length} processes in the container, ${hostCount} on the host`,
  );
  return rows.length;
}

/** Returns how many namespaces differ from the host's. */
async function checkNamespaces(
  ctx: ScenarioContext,
  shell: ContainerSession,
): Promise<number> {
  // busybox readlink takes one file at a time.
  const { stdout } = await shell.exec(
    `for ns in ${NAMESPACES.join(" ")}; do readlink /proc/1/ns/$ns; done`,
  );
  const host = readHostNamespaceIds();
  let differing = 0;
  for (const [index, ns] of NAMESPACES.entries()) {
    const inside = stdout[index] ?? "missing";
    const differs = inside.startsWith(`${ns}:[`) && inside !== host[ns];
    if (differs) differing++;
    ctx.check(
      differs,
      `${ns} namespace differs from the host's`,
      `container ${inside}, host ${host[ns]}`,
    );
  }
  return differing;
}

async function run(ctx: ScenarioContext): Promise<void> {
  const shell = await ctx.startContainer({
    name: ctx.containerName("iso"),
    hostname: HOSTNAME,
  });
  await checkHostname(ctx, shell);
  await checkRootfs(ctx, shell);
  const processes = await checkProcesses(ctx, shell);
  const differing = await checkNamespaces(ctx, shell);
  ctx.figure = `${differing} of ${NAMESPACES.length} namespaces new, ` +
    `ps lists ${processes} processes`;
  await ctx.stopContainer(shell);
}

export const isolation: Scenario = {
  name: "isolation",
  summary: "hostname, root filesystem, processes and namespaces",
  run,
};
