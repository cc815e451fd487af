/**
 * Runs iproute2's `ip` through `Deno.Command`. Work is batched: the commands
 * of one step go to a single `ip -batch -` process on its stdin, which stops
 * at the first failing command.
 */
import { Logger } from "../log.ts";
import { RuntimeError } from "../errors.ts";

const logger = new Logger("network");

/** Directories searched for `ip` after PATH, where Debian installs it. */
const FALLBACK_DIRECTORIES = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/** Lines of stderr kept in error messages. */
const STDERR_TAIL_LINES = 4;

let ipPath: string | undefined;
let processCount = 0;

/** Returns the number of `ip` processes this process has started. */
export function ipProcessCount(): number {
  return processCount;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Finds the `ip` executable in PATH or the usual sbin directories, which
 * PATH may lack under sudo or cron.
 *
 * @throws {RuntimeError} naming the iproute2 package when `ip` is missing
 */
export function findIp(): string {
  if (ipPath) return ipPath;
  const path = Deno.env.get("PATH") ?? "";
  const directories = [...path.split(":"), ...FALLBACK_DIRECTORIES];
  ipPath = directories
    .filter((directory) => directory !== "")
    .map((directory) => `${directory}/ip`)
    .find(isExecutable);
  if (!ipPath) {
    throw new RuntimeError(
      `the \`ip\` command was not found in PATH ` +
        `or ${FALLBACK_DIRECTORIES.join(", ")}`,
      { hint: "install iproute2 (on Debian: apt-get install iproute2)" },
    );
  }
  return ipPath;
}

/** Returns the last few lines of `text`, joined with "; ". */
function tailOf(text: string): string {
  return text.trim().split("\n").slice(-STDERR_TAIL_LINES).join("; ");
}

/**
 * Returns the batch line that failed, from the "Command failed -:N" line that
 * `ip -batch -` prints to stderr.
 */
function failedLine(stderr: string, lines: string[]): string | undefined {
  const match = /Command failed -:(\d+)/.exec(stderr);
  return match ? lines[Number(match[1]) - 1] : undefined;
}

function describeFailure(
  argv: string[],
  lines: string[],
  output: Deno.CommandOutput,
): string {
  const stderr = new TextDecoder().decode(output.stderr);
  const line = failedLine(stderr, lines);
  const at = line ? ` at ${JSON.stringify(line)}` : "";
  return `${argv.join(" ")} failed with exit status ${output.code}${at}: ` +
    (tailOf(stderr) || "no error output");
}

/**
 * Runs `ip` with `args` and writes `lines` to its stdin.
 *
 * @returns the standard output
 * @throws {RuntimeError} when `ip` is missing or exits with a non-zero status.
 *   The message names the argv, the status, the failed batch line and the end
 *   of stderr.
 */
export async function runIp(
  args: string[],
  lines: string[] = [],
): Promise<string> {
  const command = new Deno.Command(findIp(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  processCount++;
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(lines.map((l) => l + "\n").join("")),
  );
  await writer.close();
  const output = await child.output();
  const argv = ["ip", ...args];
  logger.debug("ip", { argv: argv.join(" "), lines, status: output.code });
  if (!output.success) {
    throw new RuntimeError(describeFailure(argv, lines, output));
  }
  return new TextDecoder().decode(output.stdout);
}

/**
 * Runs `lines` as one `ip -batch -` process, in network namespace `netns`
 * when given (`ip -n NETNS`). Does nothing for an empty batch.
 *
 * @throws {RuntimeError} as `runIp` does
 */
export async function runIpBatch(
  lines: string[],
  netns?: string,
): Promise<void> {
  if (lines.length === 0) return;
  const namespaceArgs = netns ? ["-n", netns] : [];
  await runIp([...namespaceArgs, "-batch", "-"], lines);
}
