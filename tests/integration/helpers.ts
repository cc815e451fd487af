/**
 * Helpers for integration tests: run the CLI as a user would and check that
 * a container left nothing behind on the host.
 */
import { assert, assertEquals } from "../assert.ts";
import { fileURLToPath } from "node:url";
import { ensureRootfs } from "../../rootfs/usr/src/tscontainer/build.ts";
import { hostVethNameOf } from "../../src/network/mod.ts";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = `${REPO}main.ts`;
export const ROOTFS = `${REPO}rootfs`;

/** Integration tests need root; they are skipped with this reason otherwise. */
export const NOT_ROOT = Deno.uid() !== 0;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let rootfsReady: Promise<void> | undefined;

/** Builds the rootfs once per test process, when it is missing or stale. */
export function prepareRootfs(): Promise<void> {
  rootfsReady ??= ensureRootfs(ROOTFS);
  return rootfsReady;
}

/** A CLI process started by a test, with its collected result. */
export interface CliProcess {
  pid: number;
  result: Promise<CliResult>;
}

/** Starts `tscontainer ARGS...` through main.ts without waiting for it. */
export function startCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): CliProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-prompt", MAIN, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: REPO,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...options.env },
  }).spawn();
  const result = (async () => {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  })();
  return { pid: child.pid, result };
}

/** Starts `tscontainer run --name NAME --rootfs ROOTFS ARGS...`. */
export function startContainer(name: string, args: string[]): CliProcess {
  return startCli(["run", "--name", name, "--rootfs", ROOTFS, ...args]);
}

/** Runs `tscontainer ARGS...` through main.ts and collects its output. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Polls the state file until the container's PID 1 is known. */
export async function waitForContainerPid(name: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const state = JSON.parse(
        Deno.readTextFileSync(`/run/tscontainer/${name}/state.json`),
      );
      if (state.pid > 0) return state.pid;
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`container ${name} did not start within 10 s`);
}

/** Returns a unique container name for one test. */
export function uniqueName(prefix: string): string {
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  return `${prefix}-${suffix}`;
}

async function capture(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Lists every `tscontainer/<name>` cgroup directory in any hierarchy. */
export function findCgroupDirs(name: string): string[] {
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(" ")[4]);
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isDirectory) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.name === name && dir.endsWith("/tscontainer")) found.push(path);
      visit(path, depth + 1);
    }
  };
  for (const mount of mounts) visit(mount, 0);
  return found;
}

/**
 * Asserts that the container `name` left no network namespace, veth, cgroup,
 * mount, state or data directory behind.
 */
export async function assertNoLeftovers(name: string): Promise<void> {
  const namespaces = await capture("ip", ["netns", "list"]);
  assert(
    !namespaces.split("\n").some((line) =>
      line.split(" ")[0] === `tsc-${name}`
    ),
    `network namespace tsc-${name} left behind`,
  );
  const links = (await capture("ip", ["-br", "link"])).split("\n")
    .map((line) => line.split(/[\s@]/)[0]);
  const veth = hostVethNameOf(name);
  assert(!links.includes(veth), `veth ${veth} of ${name} left behind`);
  assertEquals(findCgroupDirs(name), [], "cgroup directories left behind");
  const mountinfo = Deno.readTextFileSync("/proc/self/mountinfo");
  assert(!mountinfo.includes(`/tscontainer/${name}/`), "mounts left behind");
  assert(!mountinfo.includes(`/netns/tsc-${name}`), "netns mount left behind");
  assert(!exists(`/run/tscontainer/${name}`), "state directory left behind");
  assert(!exists(`/var/lib/tscontainer/${name}`), "data directory left behind");
}

/**
 * Lists the host's mount points, leaving out network namespace files and
 * podman's storage, which other containers on the machine may add meanwhile.
 */
export function hostMountPoints(): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point) =>
      point !== undefined && !point.startsWith("/run/netns/") &&
      !point.startsWith("/var/lib/containers/") &&
      !point.startsWith("/run/containers/")
    );
}

/** Runs a container with `args` and checks that it left nothing behind. */
export async function runContainer(
  name: string,
  args: string[],
  options: { stdin?: string } = {},
): Promise<CliResult> {
  await prepareRootfs();
  try {
    return await runCli(
      ["run", "--name", name, "--rootfs", ROOTFS, ...args],
      options,
    );
  } finally {
    await assertNoLeftovers(name);
  }
}
