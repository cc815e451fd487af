/**
 * The channel that hands the init stage its configuration: a FIFO in the
 * state directory. The runtime starts the init stage first and prepares the
 * cgroups and the network while Deno boots there, then writes the
 * configuration. The init stage blocks in open(2) and reads until EOF.
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

/** Creates the FIFO in the state directory and returns its path. */
export function createInitChannel(stateDir: string, sys: Libc = libc): string {
  const path = join(stateDir, "init.fifo");
  sys.mkfifo(path, 0o600);
  return path;
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
