/**
 * Two FIFOs in the state directory between the runtime and the init stage.
 *
 * The runtime starts the init stage first and prepares the cgroups and the
 * network while Deno boots there. Then it writes the configuration to
 * `init.fifo`, which the init stage has opened and reads until EOF.
 *
 * The init stage then holds `exec.fifo` open for writing with O_CLOEXEC, so
 * the runtime's read of it ends when execve(2) closes it: the moment the
 * command runs, from which on signals can be relayed to it (as runc's
 * exec.fifo tells it when a container has started).
 */
import { join } from "node:path";
import { O_CLOEXEC, O_NONBLOCK, O_WRONLY } from "../../ffi/constants.ts";
import { SyscallError } from "../../ffi/errors.ts";
import { libc } from "../../ffi/libc.ts";
import type { Libc } from "../../ffi/libc.ts";
import { RuntimeError } from "../errors.ts";
import type { InitConfig } from "../init/config.ts";

/** How long the runtime waits for the init stage to open the channel. */
const OPEN_TIMEOUT_MS = 30_000;

/** The paths of the two FIFOs. */
export interface InitChannel {
  config: string;
  exec: string;
}

/** Creates both FIFOs in the state directory. */
export function createInitChannel(
  stateDir: string,
  sys: Libc = libc,
): InitChannel {
  const channel = {
    config: join(stateDir, "init.fifo"),
    exec: join(stateDir, "exec.fifo"),
  };
  sys.mkfifo(channel.config, 0o600);
  sys.mkfifo(channel.exec, 0o600);
  return channel;
}

/**
 * Opens the FIFO for writing once the init stage has opened it for reading.
 * A non-blocking open fails with ENXIO while there is no reader, so it is
 * retried, and given up when the init stage has exited.
 */
async function openWhenRead(
  path: string,
  exited: () => boolean,
  sys: Libc,
): Promise<number> {
  const deadline = performance.now() + OPEN_TIMEOUT_MS;
  while (true) {
    try {
      return sys.open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    } catch (error) {
      if (!(error instanceof SyscallError) || error.code !== "ENXIO") {
        throw error;
      }
    }
    if (exited()) {
      throw new RuntimeError(
        "the init stage exited before it read its configuration",
        {
          hint: "rerun with --log-level debug to see how far it got",
        },
      );
    }
    if (performance.now() > deadline) {
      throw new RuntimeError(
        `the init stage did not open ${path} within ${
          OPEN_TIMEOUT_MS / 1000
        } s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Writes the configuration to the init stage and closes the channel, which
 * ends its read.
 * @throws {RuntimeError} when the init stage exited or never opened it.
 */
export async function sendInitConfig(
  path: string,
  config: InitConfig,
  exited: () => boolean,
  sys: Libc = libc,
): Promise<void> {
  const fd = await openWhenRead(path, exited, sys);
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(config));
    let written = 0;
    while (written < bytes.length) {
      try {
        written += sys.write(fd, bytes.subarray(written), path);
      } catch (error) {
        // A full pipe: wait for the init stage to read.
        if (!(error instanceof SyscallError) || error.code !== "EAGAIN") {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  } finally {
    sys.close(fd);
  }
}

/**
 * Waits until the init stage has executed the command, or has exited, and
 * returns which of the two happened first.
 */
export async function waitForExec(
  path: string,
  status: Promise<Deno.CommandStatus>,
  sys: Libc = libc,
): Promise<"exec" | "exit"> {
  const reading = (async () => {
    // The open blocks until the init stage opens its end for writing.
    const file = await Deno.open(path, { read: true });
    try {
      // EOF: the last writer closed it, at execve or at exit.
      await file.read(new Uint8Array(1));
    } finally {
      file.close();
    }
    return "exec" as const;
  })();
  const result = await Promise.race([
    reading,
    status.then(() => "exit" as const),
  ]);
  if (result === "exit") {
    releasePendingOpen(path, sys);
    await reading.catch(() => undefined);
  }
  return result;
}

/** Opens and closes a writer, so that a reader blocked in open(2) returns. */
function releasePendingOpen(path: string, sys: Libc): void {
  try {
    sys.close(sys.open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  } catch (error) {
    // ENXIO: no reader is waiting, because the read already ended.
    if (!(error instanceof SyscallError) || error.code !== "ENXIO") throw error;
  }
}
