/**
 * Running tscontainer from the demo: the compiled `./tscontainer` when it
 * exists, else `main.ts` under Deno, always from the repository root so that
 * `--rootfs rootfs` names the repository's rootfs.
 */
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const REPO = fileURLToPath(new URL("../", import.meta.url));

/** The rootfs directory, relative to the repository root. */
export const ROOTFS = "rootfs";

/** The command that starts tscontainer, and the text printed for it. */
export interface RuntimeCommand {
  program: string;
  leadingArgs: string[];
  /** The command as printed, such as `./tscontainer`. */
  display: string;
}

/** A thrown failure that ends a scenario, with a one-line reason. */
export class DemoError extends Error {
  override name = "DemoError";
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Returns the compiled `./tscontainer` when present, else `deno run main.ts`. */
export function findRuntime(): RuntimeCommand {
  const compiled = `${REPO}tscontainer`;
  if (isExecutableFile(compiled)) {
    return { program: compiled, leadingArgs: [], display: "./tscontainer" };
  }
  return {
    program: Deno.execPath(),
    leadingArgs: ["run", "--allow-all", "--no-prompt", `${REPO}main.ts`],
    display: "deno run --allow-all main.ts",
  };
}

/** The fields the demo reads from one entry of `tscontainer ps --format json`. */
export interface ContainerInfo {
  name: string;
  /** Host PID of the container's PID 1, or 0 while the container starts. */
  pid: number;
  hostname: string;
  network?: {
    mode: string;
    netns: string;
    address?: string;
    gateway?: string;
    prefixLength?: number;
    hostVeth?: string;
    ports?: { hostPort: number; containerPort: number }[];
  };
  /** Cgroup directories keyed by hierarchy: "unified" or v1 controller names. */
  cgroupPaths?: Record<string, string>;
}

/**
 * Runs `tscontainer ps --format json` and returns the live containers.
 * @throws {DemoError} when ps fails or prints something other than JSON.
 */
export async function listContainers(
  runtime: RuntimeCommand,
): Promise<ContainerInfo[]> {
  const output = await new Deno.Command(runtime.program, {
    args: [...runtime.leadingArgs, "ps", "--format", "json"],
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    const stderr = decoder.decode(output.stderr).trim();
    throw new DemoError(
      `tscontainer ps failed with status ${output.code}: ${stderr}`,
    );
  }
  const stdout = decoder.decode(output.stdout);
  try {
    // One JSON object a line.
    return stdout.split("\n").filter((line) => line.trim()).map((line) =>
      JSON.parse(line)
    );
  } catch {
    throw new DemoError(
      `tscontainer ps --format json printed invalid JSON: ${
        stdout.slice(0, 200)
      }`,
    );
  }
}
