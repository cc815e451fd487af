/**
 * Helpers for the network tests: `ip` queries, line exchanges with echo
 * servers, and checks that a container's network is gone.
 *
 * Network safety: callers connect only to loopback and to addresses of
 * namespaces that their test created, while the veth pair is up. Absence is
 * checked through `ip` and the state directory, never by connecting.
 */
import { join } from "node:path";
import { assert } from "../assert.ts";
import { hostVethNameOf, netnsNameOf } from "../../src/network/mod.ts";
import { stateDirOf } from "../../src/state/store.ts";
import { ROOTFS } from "./helpers.ts";

export const ECHO_SERVER = `${ROOTFS}/usr/bin/echo-server`;
export const ECHO_CLIENT = `${ROOTFS}/usr/bin/echo-client`;
export const ECHO_PORT = 7000;
const TIMEOUT_MS = 10_000;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Runs `ip ARGS...` and returns its stdout. Fails the test on an error. */
export async function ip(...args: string[]): Promise<string> {
  const output = await new Deno.Command("ip", { args, stderr: "piped" })
    .output();
  assert(
    output.success,
    `ip ${args.join(" ")}: ${decoder.decode(output.stderr)}`,
  );
  return decoder.decode(output.stdout);
}

/** Rejects with a message naming `description` when `promise` takes too long. */
export async function withTimeout<T>(
  promise: Promise<T>,
  description: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${description} timed out after ${TIMEOUT_MS}ms`)),
      TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the first line of a stream, then cancels the stream. */
export async function readFirstLine(
  stream: ReadableStream<Uint8Array>,
  description: string,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await withTimeout(reader.read(), description);
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.split("\n")[0];
}

export async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // The process has already exited.
  }
  await child.status;
}

/** Sends one line over TCP and returns the reply line. */
export async function exchangeLine(
  hostname: string,
  port: number,
  line: string,
): Promise<string> {
  const description = `echo exchange with ${hostname}:${port}`;
  const conn = await withTimeout(Deno.connect({ hostname, port }), description);
  try {
    await conn.write(encoder.encode(line + "\n"));
    return await readFirstLine(conn.readable, description);
  } finally {
    try {
      conn.close();
    } catch {
      // Cancelling the readable already closed the connection.
    }
  }
}

/** Asserts through `ip` and the state directory that nothing is left. */
export async function assertNetworkGone(name: string): Promise<void> {
  const namespaces = (await ip("netns", "list")).split("\n")
    .map((line) => line.split(" ")[0]);
  assert(!namespaces.includes(netnsNameOf(name)), `netns of ${name} left`);
  const links = (await ip("-br", "link")).split("\n")
    .map((line) => line.split(/[\s@]/)[0]);
  assert(!links.includes(hostVethNameOf(name)), `veth of ${name} left`);
  let record = true;
  try {
    Deno.statSync(join(stateDirOf(name), "address"));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    record = false;
  }
  assert(!record, `address record of ${name} left`);
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
