/**
 * Published ports (`-p HOSTPORT:CONTAINERPORT`): parsing, and the userland
 * TCP proxy that forwards host connections to the container, as docker's
 * docker-proxy does. The runtime process stays in the host namespaces, so
 * the proxy uses Deno's asynchronous network APIs.
 */
import { Logger } from "../log.ts";
import { RuntimeError, UsageError } from "../errors.ts";
import { parseIpv4 } from "./subnet.ts";

const logger = new Logger("network");

/** A host port forwarded to a container port, over TCP. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  /** The host address to listen on, or all addresses (0.0.0.0) when absent. */
  hostIp?: string;
}

const EXAMPLE = "such as 8080:80 or 127.0.0.1:8080:80";
const COPY_BUFFER_BYTES = 64 * 1024;

function parsePort(text: string, portName: string, spec: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port < 1 || port > 65535) {
    throw new UsageError(
      `invalid -p ${JSON.stringify(spec)}: ${portName} ${
        JSON.stringify(text)
      } ` +
        `is not a port number from 1 to 65535`,
    );
  }
  return port;
}

/** Removes a "/tcp" suffix and rejects other protocols. */
function stripProtocol(spec: string): string {
  const slash = spec.lastIndexOf("/");
  if (slash < 0) return spec;
  const protocol = spec.slice(slash + 1);
  if (protocol === "tcp") return spec.slice(0, slash);
  const reason = protocol === "udp"
    ? "UDP is not supported, only TCP"
    : `unknown protocol ${JSON.stringify(protocol)}, expected tcp`;
  throw new UsageError(`invalid -p ${JSON.stringify(spec)}: ${reason}`);
}

/**
 * Parses a published port: "HOSTPORT:CONTAINERPORT", optionally preceded by
 * an IPv4 host address ("IP:HOSTPORT:CONTAINERPORT") and followed by "/tcp".
 *
 * @throws {UsageError} naming the value when it is malformed, a port is out
 *   of 1 to 65535, the address is not IPv4, or the protocol is not TCP
 */
export function parsePortMapping(text: string): PortMapping {
  const parts = stripProtocol(text).split(":");
  if (parts.length < 2 || parts.length > 3) {
    throw new UsageError(
      `invalid -p ${JSON.stringify(text)}: expected ` +
        `[IP:]HOSTPORT:CONTAINERPORT, ${EXAMPLE}`,
    );
  }
  const hostIp = parts.length === 3 ? parts[0] : undefined;
  const [hostPort, containerPort] = parts.slice(-2);
  if (hostIp !== undefined && parseIpv4(hostIp) === undefined) {
    throw new UsageError(
      `invalid -p ${JSON.stringify(text)}: host address ` +
        `${JSON.stringify(hostIp)} is not an IPv4 address`,
    );
  }
  return {
    hostPort: parsePort(hostPort, "host port", text),
    containerPort: parsePort(containerPort, "container port", text),
    ...(hostIp !== undefined ? { hostIp } : {}),
  };
}

/** Formats a mapping back into `-p` form, for messages. */
export function formatPortMapping(mapping: PortMapping): string {
  const prefix = mapping.hostIp ? `${mapping.hostIp}:` : "";
  return `${prefix}${mapping.hostPort}:${mapping.containerPort}`;
}

function sharesListenAddress(a: PortMapping, b: PortMapping): boolean {
  const anyA = a.hostIp === undefined || a.hostIp === "0.0.0.0";
  const anyB = b.hostIp === undefined || b.hostIp === "0.0.0.0";
  return a.hostPort === b.hostPort && (anyA || anyB || a.hostIp === b.hostIp);
}

/**
 * Checks that no two mappings listen on the same host address and port.
 *
 * @throws {UsageError} naming both mappings
 */
export function checkPortConflicts(mappings: PortMapping[]): void {
  mappings.forEach((mapping, index) => {
    const clash = mappings.slice(0, index).find((earlier) =>
      sharesListenAddress(earlier, mapping)
    );
    if (clash) {
      throw new UsageError(
        `-p ${formatPortMapping(mapping)} and -p ${formatPortMapping(clash)} ` +
          `both use host port ${mapping.hostPort}`,
      );
    }
  });
}

function bindError(mapping: PortMapping, error: unknown): RuntimeError {
  const address = `${mapping.hostIp ?? "0.0.0.0"}:${mapping.hostPort}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new RuntimeError(`host port ${address} is already in use`, {
      hint: `choose another host port in -p, or stop the program that ` +
        `listens on it (ss -ltnp 'sport = :${mapping.hostPort}')`,
      cause: error,
    });
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new RuntimeError(
      `cannot listen on ${address}: no such address on this host`,
      {
        hint: "give an address of this host in -p, or omit it to listen on all",
        cause: error,
      },
    );
  }
  return new RuntimeError(`cannot listen on ${address}: ${error}`, {
    cause: error,
  });
}

function tryClose(resource: { close(): void }): void {
  try {
    resource.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Copies `from` to `to` until end of file, then half-closes `to`. */
async function copyStream(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(COPY_BUFFER_BYTES);
  for (;;) {
    const count = await from.read(buffer);
    if (count === null) break;
    await writeAll(to, buffer.subarray(0, count));
  }
  await to.closeWrite();
}

/**
 * The listeners of a container's published ports and the connections they
 * forward. Listeners are bound before the container starts, so a port in use
 * fails the start; forwarding begins with `start`.
 */
export class PortForwarder {
  #connections = new Set<Deno.TcpConn>();
  #closed = false;

  private constructor(
    readonly mappings: PortMapping[],
    private readonly listeners: Deno.TcpListener[],
  ) {}

  /**
   * Binds one listener per mapping, on its host address or all addresses.
   *
   * @throws {RuntimeError} when a port is in use or the address is not local,
   *   after closing the listeners bound before the failure
   */
  static bind(mappings: PortMapping[]): PortForwarder {
    const listeners: Deno.TcpListener[] = [];
    for (const mapping of mappings) {
      try {
        listeners.push(Deno.listen({
          hostname: mapping.hostIp ?? "0.0.0.0",
          port: mapping.hostPort,
          transport: "tcp",
        }));
      } catch (error) {
        listeners.forEach(tryClose);
        throw bindError(mapping, error);
      }
    }
    return new PortForwarder(mappings, listeners);
  }

  /** Forwards each accepted connection to `targetAddress` and the container port. */
  start(targetAddress: string): void {
    this.listeners.forEach((listener, index) => {
      const target = {
        hostname: targetAddress,
        port: this.mappings[index].containerPort,
      };
      this.#acceptLoop(listener, target);
    });
  }

  /** Closes the listeners and every forwarded connection. Idempotent. */
  close(): void {
    this.#closed = true;
    this.listeners.forEach(tryClose);
    this.#connections.forEach(tryClose);
    this.#connections.clear();
  }

  async #acceptLoop(
    listener: Deno.TcpListener,
    target: Deno.ConnectOptions,
  ): Promise<void> {
    try {
      for await (const client of listener) this.#forward(client, target);
    } catch (error) {
      if (this.#closed) return;
      logger.warn("published port stopped accepting connections", {
        port: (listener.addr as Deno.NetAddr).port,
        error,
      });
    }
  }

  async #forward(
    client: Deno.TcpConn,
    target: Deno.ConnectOptions,
  ): Promise<void> {
    this.#connections.add(client);
    let upstream: Deno.TcpConn | undefined;
    try {
      upstream = await Deno.connect(target);
      this.#connections.add(upstream);
      await Promise.all([
        copyStream(client, upstream),
        copyStream(upstream, client),
      ]);
    } catch (error) {
      // Resets and refused connections are the clients' business: log only.
      if (!this.#closed) {
        logger.debug("forwarded connection failed", { ...target, error });
      }
    } finally {
      for (const conn of [client, upstream]) {
        if (!conn) continue;
        tryClose(conn);
        this.#connections.delete(conn);
      }
    }
  }
}
