/**
 * Starting the init stage: the runtime program executed again with the
 * hidden `init` command, as PID 1 of a new PID namespace.
 */
import { fileURLToPath } from "node:url";
import { CLONE_NEWPID } from "../../ffi/constants.ts";
import { libc, openReadOnly } from "../../ffi/libc.ts";
import type { Libc } from "../../ffi/libc.ts";
import {
  getLogLevel,
  getLogOrigin,
  LOG_LEVEL_ENV,
  LOG_ORIGIN_ENV,
  Logger,
  step,
} from "../log.ts";
import { INIT_CHANNEL_ENV, RUNTIME_PID_ENV } from "../init/config.ts";

/** The CLI entry point, which dispatches the `init` command. */
const MAIN_MODULE = new URL("../../main.ts", import.meta.url);

/**
 * Returns the program and arguments that start this program's `init`
 * command: the executable itself when compiled, else Deno running the main
 * module with all permissions and no network access for modules.
 */
export function initInvocation(
  standalone = Deno.build.standalone,
): { program: string; args: string[] } {
  if (standalone) return { program: Deno.execPath(), args: ["init"] };
  const args = [
    "run",
    "--allow-all",
    "--no-prompt",
    "--cached-only",
    fileURLToPath(MAIN_MODULE),
    "init",
  ];
  return { program: Deno.execPath(), args };
}

function initEnvironment(channel: string): Record<string, string> {
  return {
    [INIT_CHANNEL_ENV]: channel,
    [RUNTIME_PID_ENV]: String(Deno.pid),
    [LOG_LEVEL_ENV]: getLogLevel(),
    [LOG_ORIGIN_ENV]: String(getLogOrigin()),
    DENO_NO_UPDATE_CHECK: "1",
  };
}

/**
 * Spawns the init stage in a new PID namespace and returns its process. It
 * boots and then waits for its configuration on the FIFO `channel`.
 *
 * NOTE: unshare(CLONE_NEWPID) changes only the calling thread's namespace
 * for its future children. The spawn below runs on this same thread, so the
 * child becomes PID 1 of the new namespace. Afterwards the thread returns to
 * the host PID namespace, so that the `ip` processes the runtime starts
 * later stay there.
 */
export function spawnInit(
  log: Logger,
  channel: string,
  sys: Libc = libc,
): Deno.ChildProcess {
  const hostPidNs = step(
    log,
    "open host pid namespace",
    {},
    () => openReadOnly("/proc/thread-self/ns/pid", sys),
  );
  try {
    step(
      log,
      "unshare",
      { flags: "CLONE_NEWPID" },
      () => sys.unshare(CLONE_NEWPID),
    );
    try {
      const { program, args } = initInvocation();
      return step(
        log,
        "spawn init",
        { program },
        () =>
          new Deno.Command(program, {
            args,
            env: initEnvironment(channel),
            stdin: "inherit",
            stdout: "inherit",
            stderr: "inherit",
          }).spawn(),
      );
    } finally {
      step(
        log,
        "return to host pid namespace",
        {},
        () => sys.setns(hostPidNs, CLONE_NEWPID, "/proc/thread-self/ns/pid"),
      );
    }
  } finally {
    sys.close(hostPidNs);
  }
}
