/**
 * Shared state of the benchmarks: repository paths, the per-run scratch
 * directory, container names and the command that runs tscontainer.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Cleanup } from "./cleanup.ts";
import type { BenchOptions } from "./options.ts";
import type { Peers } from "./peers.ts";

export const REPO = fileURLToPath(new URL("../", import.meta.url));
export const ROOTFS = join(REPO, "rootfs");
export const MAIN = join(REPO, "main.ts");
/** Scratch space of all bench runs; git ignores it. */
export const SCRATCH_ROOT = join(REPO, ".bench");

/**
 * Prefix of every container, runc id and cgroup the run creates. The pid
 * keeps two runs apart, and cleanup removes only names with this prefix.
 */
export const NAME_PREFIX = `tscbench-${Deno.pid}`;

export interface BenchContext {
  options: BenchOptions;
  /** `.bench/run-<pid>`: rootfs copies, OCI bundles, hyperfine output. */
  scratch: string;
  /** Program and leading arguments that run tscontainer. */
  tscontainer: string[];
  peers: Peers;
  cleanup: Cleanup;
}

let sequence = 0;

/**
 * Returns a new container name `tscbench-<pid>-<tag>-<n>` and registers it,
 * so cleanup checks that nothing of it is left.
 */
export function containerName(context: BenchContext, tag: string): string {
  sequence += 1;
  const name = `${NAME_PREFIX}-${tag}-${sequence}`;
  context.cleanup.trackTscontainer(name);
  return name;
}

/**
 * Returns the command that runs tscontainer: the given program, or main.ts
 * under this Deno with the flags of `deno task compile`'s launcher
 * (`--cached-only`, so no module is fetched at start).
 */
export function tscontainerCommand(program?: string): string[] {
  if (program) return [program];
  return [
    Deno.execPath(),
    "run",
    "--allow-all",
    "--no-prompt",
    "--cached-only",
    MAIN,
  ];
}

/** Times module imports in a fresh process; see the file's usage line. */
export const IMPORT_PROBE = join(REPO, "bench/import_probe.ts");

/** Returns the argv that runs `script` under this Deno like tscontainer. */
export function denoRun(script: string): string[] {
  return [
    Deno.execPath(),
    "run",
    "--allow-all",
    "--no-prompt",
    "--cached-only",
    script,
  ];
}

/** Options of one tscontainer start. */
export interface TscontainerRun {
  name: string;
  network: "none" | "bridge";
  memory?: string;
  logLevel?: "debug";
  command: string[];
}

/** Returns the argv of `tscontainer run` with `run`'s options. */
export function tscontainerArgv(
  context: BenchContext,
  run: TscontainerRun,
): string[] {
  const argv = [
    ...context.tscontainer,
    "run",
    "--rootfs",
    ROOTFS,
    "--name",
    run.name,
    "--network",
    run.network,
  ];
  if (run.memory) argv.push("--memory", run.memory);
  if (run.logLevel) argv.push("--log-level", run.logLevel);
  return [...argv, "--", ...run.command];
}
