/** Resolving and starting the container's command in the init stage. */
import {
  EXIT_NOT_EXECUTABLE,
  EXIT_NOT_FOUND,
  RuntimeError,
} from "../errors.ts";
import type { Libc } from "../../ffi/libc.ts";
import { SyscallError } from "../../ffi/errors.ts";
import { statOrUndefined } from "../rootfs/resolve.ts";

const DEFAULT_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function notFound(command: string): RuntimeError {
  return new RuntimeError(
    `command not found in the container: ${JSON.stringify(command)}`,
    {
      exitCode: EXIT_NOT_FOUND,
      hint: "give an absolute path or a program on the container's PATH",
    },
  );
}

function notExecutable(
  command: string,
  reason: string,
  hint?: string,
): RuntimeError {
  return new RuntimeError(
    `cannot execute ${JSON.stringify(command)} in the container: ${reason}`,
    { exitCode: EXIT_NOT_EXECUTABLE, hint },
  );
}

/** Turns an execve(2) failure into a message in the terms shells use. */
function describeExecFailure(command: string, error: SyscallError) {
  switch (error.code) {
    case "ENOENT":
      // The file exists (it was resolved), so something it needs does not.
      return new RuntimeError(
        `cannot execute ${
          JSON.stringify(command)
        } in the container: its interpreter (#! line) or dynamic loader is missing`,
        {
          exitCode: EXIT_NOT_FOUND,
          hint:
            "install the interpreter or the shared libraries in the rootfs, or use a statically linked program",
        },
      );
    case "EACCES":
      return notExecutable(
        command,
        "permission denied",
        "make it executable (chmod +x) on a filesystem not mounted noexec",
      );
    case "ENOEXEC":
      return notExecutable(
        command,
        "not an executable format for this machine",
        "add a #! line to a script, or use a program built for this architecture",
      );
    default:
      return notExecutable(command, error.message);
  }
}

/**
 * Finds the file to execute for `command`, searching PATH from `env` when the
 * command has no slash, as execvp(3) does. Runs after pivot_root.
 * @throws {RuntimeError} with exit status 127 when nothing is found, and 126
 * when the path is a directory.
 */
export function resolveCommand(command: string, env: string[]): string {
  if (command.includes("/")) {
    const info = statOrUndefined(command, true);
    if (!info) throw notFound(command);
    if (info.isDirectory) throw notExecutable(command, "it is a directory");
    return command;
  }
  const pathEntry = env.find((entry) => entry.startsWith("PATH="));
  const searchPath = pathEntry ? pathEntry.slice(5) : DEFAULT_PATH;
  for (const dir of searchPath.split(":")) {
    const candidate = `${dir || "."}/${command}`;
    const info = statOrUndefined(candidate, true);
    if (info?.isFile) return candidate;
  }
  throw notFound(command);
}

/**
 * Changes to the working directory inside the container.
 * @throws {RuntimeError} naming the directory when it is missing or a file.
 */
export function changeWorkdir(sys: Libc, workdir: string): void {
  try {
    sys.chdir(workdir);
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    const reason = error.code === "ENOENT"
      ? "not found"
      : error.code === "ENOTDIR"
      ? "not a directory"
      : error.code;
    throw new RuntimeError(
      `working directory ${
        JSON.stringify(workdir)
      } in the container: ${reason}`,
      {
        cause: error,
        hint: "create it in the rootfs, or pass another --workdir",
      },
    );
  }
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
    throw describeExecFailure(argv[0], error);
  }
}
