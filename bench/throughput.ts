/**
 * P5: TCP throughput from the host to a container over the veth pair,
 * against the host's own loopback, with the rootfs's tcp-send and tcp-sink
 * (static programs, so the host runs them as they are).
 *
 * NOTE: traffic goes only to 127.0.0.1 and to the address of the container
 * this benchmark started, checked to be in the tsc0 bridge's subnet, and
 * only while that container runs.
 */
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { containerName, ROOTFS, tscontainerArgv } from "./context.ts";
import { progress } from "./progress.ts";
import {
  LineReader,
  run,
  spawn,
  stopChild,
  tail,
  tryCapture,
} from "./process.ts";
import { median } from "./stats.ts";

const SINK_PORT = 5201;
const TCP_SEND = join(ROOTFS, "usr/bin/tcp-send");
const TCP_SINK = join(ROOTFS, "usr/bin/tcp-sink");
const START_TIMEOUT_MS = 30_000;

/** Settings of the two paths that bear on throughput. */
export interface PathSettings {
  containerMtu: number;
  loopbackMtu: number;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables, or why it is missing. */
  bridgeNetfilter: string;
}

export interface ThroughputResult {
  settings: PathSettings;
  containerCommand: string[];
  sendCommand: string[];
  /** Sender-side rates in MiB/s, one per timed transfer. */
  container: number[];
  loopback: number[];
  medianContainer: number;
  medianLoopback: number;
}

/** A sink that reports each finished connection on its stdout. */
interface Sink {
  child: Deno.ChildProcess;
  lines: LineReader;
  host: string;
  port: number;
  exited: boolean;
}

async function expectLine(
  lines: LineReader,
  pattern: RegExp,
  description: string,
) {
  const line = await lines.next(START_TIMEOUT_MS);
  const match = line?.match(pattern);
  if (!match) {
    throw new Error(
      `expected ${description}, got ${JSON.stringify(line ?? "end of output")}`,
    );
  }
  return match;
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce(
    (sum, octet) => sum * 256 + Number(octet),
    0,
  );
}

/**
 * Checks that `address` is in the subnet of the tsc0 bridge, so the traffic
 * stays on this machine.
 * @throws {Error} when tsc0 has no address or `address` is outside it.
 */
async function checkOnBridge(address: string): Promise<void> {
  const output = await tryCapture([
    "ip",
    "-o",
    "-4",
    "addr",
    "show",
    "dev",
    "tsc0",
  ]);
  const match = output?.match(/\sinet (\d+\.\d+\.\d+\.\d+)\/(\d+)/);
  if (!match) throw new Error("the tsc0 bridge has no IPv4 address");
  const prefix = Number(match[2]);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const inside = ((ipv4ToNumber(match[1]) & mask) >>> 0) ===
    ((ipv4ToNumber(address) & mask) >>> 0);
  if (!inside) {
    throw new Error(
      `container address ${address} is outside tsc0's ${match[1]}/${prefix}`,
    );
  }
}

async function startContainerSink(
  context: BenchContext,
): Promise<Sink & { argv: string[]; mtu: number }> {
  const argv = tscontainerArgv(context, {
    name: containerName(context, "p5"),
    network: "bridge",
    command: [
      "/bin/sh",
      "-c",
      "ip -o link show dev eth0; ip -o -4 addr show dev eth0; " +
      `exec /usr/bin/tcp-sink ${SINK_PORT}`,
    ],
  });
  const child = spawn(argv, { stderr: "null" });
  const sink = {
    child,
    lines: new LineReader(child.stdout),
    argv,
    exited: false,
  };
  child.status.finally(() => sink.exited = true);
  const [, mtu] = await expectLine(sink.lines, /\smtu (\d+)\s/, "eth0's MTU");
  const [, host] = await expectLine(
    sink.lines,
    /\sinet (\d+\.\d+\.\d+\.\d+)\//,
    "the container's address",
  );
  const [, port] = await expectLine(
    sink.lines,
    /^listening on port (\d+)/,
    "listening on port N",
  );
  await checkOnBridge(host);
  return { ...sink, host, port: Number(port), child, mtu: Number(mtu) };
}

async function startLoopbackSink(): Promise<Sink> {
  const child = spawn([TCP_SINK, "0"], { stderr: "null" });
  const sink = { child, lines: new LineReader(child.stdout), exited: false };
  child.status.finally(() => sink.exited = true);
  const [, port] = await expectLine(
    sink.lines,
    /^listening on port (\d+)/,
    "listening on port N",
  );
  return { ...sink, host: "127.0.0.1", port: Number(port), child };
}

function readSetting(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "not present";
    throw error;
  }
}

/** Sends one stream to `sink` and returns the sender's MiB/s. */
async function transfer(sink: Sink, mib: number): Promise<number> {
  if (sink.exited) throw new Error(`the sink at ${sink.host} has exited`);
  const result = await run([
    TCP_SEND,
    sink.host,
    String(sink.port),
    String(mib),
  ]);
  if (result.code !== 0) {
    throw new Error(
      `tcp-send to ${sink.host} failed: ${tail(result.stderr + result.stdout)}`,
    );
  }
  const rate = result.stdout.match(/: ([\d.]+) MiB\/s/);
  if (!rate) {
    throw new Error(`unexpected tcp-send output: ${result.stdout.trim()}`);
  }
  await expectLine(sink.lines, /^received /, "the sink's received line");
  return Number(rate[1]);
}

/**
 * P5: one warm-up transfer per path, then transfers alternating between the
 * container and loopback.
 */
export async function benchP5(
  context: BenchContext,
): Promise<ThroughputResult> {
  const { throughputRuns, transferMiB } = context.options.counts;
  progress(
    `P5: ${throughputRuns} × ${transferMiB} MiB to the container and to loopback`,
  );
  const container = await startContainerSink(context);
  let loopback: Sink | undefined;
  try {
    loopback = await startLoopbackSink();
    const rates = { container: [] as number[], loopback: [] as number[] };
    for (let round = 0; round <= throughputRuns; round++) {
      const toContainer = await transfer(container, transferMiB);
      const toLoopback = await transfer(loopback, transferMiB);
      if (round === 0) continue;
      rates.container.push(toContainer);
      rates.loopback.push(toLoopback);
    }
    return {
      settings: {
        containerMtu: container.mtu,
        loopbackMtu: Number(readSetting("/sys/class/net/lo/mtu")),
        bridgeNetfilter: readSetting(
          "/proc/sys/net/bridge/bridge-nf-call-iptables",
        ),
      },
      containerCommand: container.argv,
      sendCommand: [TCP_SEND, "ADDRESS", "PORT", String(transferMiB)],
      ...rates,
      medianContainer: median(rates.container),
      medianLoopback: median(rates.loopback),
    };
  } finally {
    // The container's address is never used after this point.
    const status = await stopChild(container.child);
    if (!status.success) {
      progress(`P5: the sink container exited with ${status.code}`);
    }
    if (loopback) await stopChild(loopback.child);
  }
}
