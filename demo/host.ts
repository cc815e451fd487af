/**
 * Host-side probes: commands the demo runs on the host, the host's own
 * namespaces and processes, and the echo client.
 *
 * Network safety: the echo client connects only to loopback or to the
 * address of a container that this run started and that still runs. Once a
 * container is gone, its address has no route on this host, so a packet to
 * it could leave the machine.
 */
import type { Output } from "./output.ts";
import { DemoError, REPO, ROOTFS } from "./runtime.ts";
import type { ContainerSession } from "./session.ts";

/** The output of a command the demo ran on the host. */
export interface HostResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** The namespaces whose ids the isolation scenario compares. */
export const NAMESPACES = ["pid", "mnt", "uts", "net", "ipc"] as const;

/** The echo client from the rootfs, which is static and so runs on the host. */
const ECHO_CLIENT = `${ROOTFS}/usr/bin/echo-client`;

function splitLines(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Prints `program args`, runs it from the repository root and prints its output. */
export async function runOnHost(
  out: Output,
  program: string,
  args: string[],
): Promise<HostResult> {
  out.hostCommand(program, args);
  const output = await new Deno.Command(program, {
    args,
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const result = {
    code: output.code,
    stdout: splitLines(output.stdout),
    stderr: splitLines(output.stderr),
  };
  for (const line of result.stdout) out.outputLine("host", "stdout", line);
  for (const line of result.stderr) out.outputLine("host", "stderr", line);
  return result;
}

/**
 * Sends `lines` to the echo server on `port` at the address of `session`.
 * @throws {DemoError} unless the container still runs and has an address.
 */
export async function echoToContainer(
  out: Output,
  session: ContainerSession,
  port: number,
  lines: string[],
): Promise<HostResult> {
  const address = session.info?.network?.address;
  if (!session.running || !address) {
    throw new DemoError(
      `not connecting to ${session.name}: it is not running or has no address`,
    );
  }
  return await runOnHost(out, ECHO_CLIENT, [address, String(port), ...lines]);
}

/** Sends `lines` to the echo server on 127.0.0.1:`port`. */
export async function echoToLoopback(
  out: Output,
  port: number,
  lines: string[],
): Promise<HostResult> {
  return await runOnHost(out, ECHO_CLIENT, [
    "127.0.0.1",
    String(port),
    ...lines,
  ]);
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function findFreeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Returns the ids, such as "pid:[4026531836]", of the demo's own namespaces. */
export function readHostNamespaceIds(): Record<string, string> {
  return Object.fromEntries(
    NAMESPACES.map((ns) => [ns, Deno.readLinkSync(`/proc/self/ns/${ns}`)]),
  );
}

/** Counts the processes the host's /proc shows. */
export function countHostProcesses(): number {
  return [...Deno.readDirSync("/proc")]
    .filter((entry) => entry.isDirectory && /^[0-9]+$/.test(entry.name))
    .length;
}

/** Lists the top-level entries of the rootfs directory, sorted. */
export function listRootfsEntries(): string[] {
  return [...Deno.readDirSync(`${REPO}${ROOTFS}`)]
    .map((entry) => entry.name)
    .sort();
}
