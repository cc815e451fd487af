/**
 * Probes that explain the timeline: the cost of a bare Deno process, of
 * loading each module of a start, of `ip` and network namespaces, and of
 * joining cgroups. Each probe runs outside any container.
 */
import { join } from "node:path";
import { probeCgroupJoin } from "./cgroup_probe.ts";
import type { CgroupJoinProbe } from "./cgroup_probe.ts";
import type { BenchContext } from "./context.ts";
import { denoRun, IMPORT_PROBE, NAME_PREFIX, REPO } from "./context.ts";
import { runInterleaved } from "./interleave.ts";
import type { ContenderResult } from "./interleave.ts";
import {
  INIT_ENTRIES,
  modulesInLoadOrder,
  RUNTIME_ENTRIES,
} from "./module_graph.ts";
import { hasPeer, peerPath } from "./peers.ts";
import { progress } from "./progress.ts";
import { capture, findProgram, run } from "./process.ts";
import { median, summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";

export interface ModuleCost {
  label: string;
  medianMs: number;
}

/** Module loading of one process of a start. */
export interface ImportProfile {
  process: "runtime" | "init stage";
  entries: string[];
  /** From the process's time origin to the probe's first statement. */
  bootstrap: Summary;
  /** All imports together. */
  total: Summary;
  modules: ModuleCost[];
}

/** `ip -batch -` spawned with Deno.Command: the first spawn of a process and the later ones. */
export interface SpawnProbe {
  first: Summary;
  later: Summary;
}

/** The first and a later call through the FFI layer, in fresh processes. */
export interface FfiProbe {
  first: Summary;
  second: Summary;
}

export interface AnatomyResult {
  processes: ContenderResult[];
  ffi?: FfiProbe;
  netns?: { add: Summary; del: Summary };
  spawn?: SpawnProbe;
  imports: ImportProfile[];
  cgroup?: CgroupJoinProbe;
  errors: string[];
}

const SPAWN_PROBE = join(REPO, "bench/spawn_probe.ts");
const FFI_PROBE = join(REPO, "bench/ffi_probe.ts");
/** Spawns per spawn-probe process: the first and the later ones. */
const SPAWNS_PER_PROCESS = 4;

function processContenders(context: BenchContext, empty: string) {
  const list = [
    { label: "deno run of an empty module", argv: () => denoRun(empty) },
    {
      label: "tscontainer --help (CLI modules loaded, no container)",
      argv: () => [...context.tscontainer, "--help"],
    },
    { label: "ip -V (one `ip` process)", argv: () => ["ip", "-V"] },
  ];
  if (hasPeer(context.peers, "unshare")) {
    list.push({
      label: "unshare --net /bin/true (create and free a network namespace)",
      argv: () => [peerPath(context.peers, "unshare"), "--net", "/bin/true"],
    });
  }
  return list;
}

/** Times `ip netns add` and `ip netns del` of a probe namespace. */
async function probeNetns(
  runs: number,
): Promise<{ add: Summary; del: Summary }> {
  const name = `${NAME_PREFIX}-probe`;
  const add: number[] = [];
  const del: number[] = [];
  for (let round = 0; round < runs; round++) {
    const added = await run(["ip", "netns", "add", name]);
    if (added.code !== 0) {
      throw new Error(`ip netns add ${name} failed: ${added.stderr.trim()}`);
    }
    add.push(added.ms);
    const deleted = await run(["ip", "netns", "del", name]);
    if (deleted.code !== 0) {
      throw new Error(`ip netns del ${name} failed: ${deleted.stderr.trim()}`);
    }
    del.push(deleted.ms);
  }
  return { add: summarize(add), del: summarize(del) };
}

/** Runs the spawn probe `runs` times in fresh processes. */
async function probeSpawns(runs: number): Promise<SpawnProbe> {
  const ip = findProgram("ip");
  if (!ip) throw new Error("ip not found in PATH: install iproute2");
  const first: number[] = [];
  const later: number[] = [];
  for (let round = 0; round <= runs; round++) {
    const argv = [...denoRun(SPAWN_PROBE), ip, String(SPAWNS_PER_PROCESS)];
    const { spawnMs }: { spawnMs: number[] } = JSON.parse(await capture(argv));
    if (round === 0) continue;
    first.push(spawnMs[0]);
    later.push(...spawnMs.slice(1));
  }
  return { first: summarize(first), later: summarize(later) };
}

/** Runs the FFI probe `runs` times in fresh processes, after one untimed run. */
async function probeFfi(runs: number): Promise<FfiProbe> {
  const first: number[] = [];
  const second: number[] = [];
  for (let round = 0; round <= runs; round++) {
    const output = JSON.parse(await capture(denoRun(FFI_PROBE)));
    if (round === 0) continue;
    first.push(output.firstMs);
    second.push(output.secondMs);
  }
  return { first: summarize(first), second: summarize(second) };
}

interface ProbeOutput {
  startedMs: number;
  importMs: number[];
}

async function profileImports(
  process: ImportProfile["process"],
  entries: string[],
  runs: number,
): Promise<ImportProfile> {
  const modules = modulesInLoadOrder(entries);
  const argv = [
    ...denoRun(IMPORT_PROBE),
    ...modules.map((module) => module.specifier),
  ];
  const outputs: ProbeOutput[] = [];
  // One untimed run first, so the emit and code caches are warm.
  for (let round = 0; round <= runs; round++) {
    const output: ProbeOutput = JSON.parse(await capture(argv));
    if (round > 0) outputs.push(output);
  }
  const costs = modules.map((module, index) => ({
    label: module.label,
    medianMs: median(outputs.map((output) => output.importMs[index])),
  }));
  return {
    process,
    entries,
    bootstrap: summarize(outputs.map((output) => output.startedMs)),
    total: summarize(
      outputs.map((output) => output.importMs.reduce((sum, ms) => sum + ms, 0)),
    ),
    modules: costs.sort((a, b) => b.medianMs - a.medianMs),
  };
}

async function attempt<T>(
  errors: string[],
  probeName: string,
  probe: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await probe();
  } catch (error) {
    errors.push(
      `${probeName}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/** Runs every probe; a failing probe is reported and the others still run. */
export async function benchAnatomy(
  context: BenchContext,
): Promise<AnatomyResult> {
  const { probeRuns, warmups } = context.options.counts;
  const errors: string[] = [];
  const empty = join(context.scratch, "empty.ts");
  Deno.writeTextFileSync(empty, "");

  progress(
    "timeline probes: processes, module loading, network namespaces, cgroups",
  );
  const processes = await runInterleaved(
    processContenders(context, empty),
    { runs: probeRuns, warmups },
  );
  const importedBy = [
    ["runtime", RUNTIME_ENTRIES],
    ["init stage", INIT_ENTRIES],
  ] as const;
  const imports: ImportProfile[] = [];
  for (const [process, entries] of importedBy) {
    const profile = await attempt(
      errors,
      `module loading of the ${process}`,
      () => profileImports(process, entries, probeRuns),
    );
    if (profile) imports.push(profile);
  }
  const spawn = await attempt(
    errors,
    "spawn probe",
    () => probeSpawns(probeRuns),
  );
  const ffi = await attempt(errors, "FFI probe", () => probeFfi(probeRuns));
  const netns = await attempt(
    errors,
    "ip netns probe",
    () => probeNetns(probeRuns),
  );
  const cgroup = await attempt(
    errors,
    "cgroup join probe",
    () => probeCgroupJoin(context, probeRuns),
  );
  return { processes, ffi, netns, spawn, imports, cgroup, errors };
}
