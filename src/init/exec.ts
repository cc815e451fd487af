/** Resolving and starting the container's command in the init stage. */
import {
  EXIT_NOT_EXECUTABLE,
  EXIT_NOT_FOUND,
  RuntimeError,
} from "../errors.ts";
import type { Libc } from "../../ffi/libc.ts";
import { SyscallError } from "../../ffi/errors.ts";

const DEFAULT_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}

function notFound(command: string): RuntimeError {
  return new RuntimeError(
    `command not found in the container: ${JSON.stringify(command)}`,
    {
      exitCode: EXIT_NOT_FOUND,
      hint: "give an absolute path or a program on the container's PATH",
    },
  );
}

function notExecutable(command: string, reason: string): RuntimeError {
  return new RuntimeError(
    `cannot execute ${JSON.stringify(command)} in the container: ${reason}`,
    { exitCode: EXIT_NOT_EXECUTABLE },
  );
}

/**
 * Finds the file to execute for `command`, searching PATH from `env` when the
 * command has no slash, as execvp(3) does. Runs after pivot_root.
 * @throws {RuntimeError} with exit status 127 when nothing is found, and 126
 * when the path is a directory.
 */
export function resolveCommand(command: string, env: string[]): string {
  if (command.includes("/")) {
    const info = statOrUndefined(command);
    if (!info) throw notFound(command);
    if (info.isDirectory) throw notExecutable(command, "it is a directory");
    return command;
  }
  const pathEntry = env.find((entry) => entry.startsWith("PATH="));
  const searchPath = pathEntry ? pathEntry.slice(5) : DEFAULT_PATH;
  for (const dir of searchPath.split(":")) {
    const candidate = `${dir || "."}/${command}`;
    const info = statOrUndefined(candidate);
    if (info?.isFile) return candidate;
  }
  throw notFound(command);
}

/**
 * Replaces the init stage with the container's command.
 * @throws {RuntimeError} with exit status 126 or 127, as shells use them.
 */
export function execCommand(
  sys: Libc,
  path: string,
  argv: string[],
  env: string[],
): never {
  try {
    return sys.execve(path, argv, env);
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    if (error.code === "ENOENT") throw notFound(argv[0]);
    throw notExecutable(argv[0], error.message);
  }
}
