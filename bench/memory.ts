/**
 * P3: peak resident memory of the runtime processes that stay alive while a
 * container runs `sleep 2`, summed over those processes.
 *
 * The bench polls /proc every 50 ms. A process counts when it is in the
 * host PID namespace and alive while the container's `sleep` runs, because
 * the processes in the container's PID namespace are the container's own.
 * Its VmHWM (peak RSS) is the last value read. NOTE: a peak reached in the last 50 ms before a process
 * exits is missed.
 */
import type { BenchContext } from "./context.ts";
import {
  containerName,
  denoRun,
  IMPORT_PROBE,
  NAME_PREFIX,
  tscontainerArgv,
} from "./context.ts";
import { modulesInLoadOrder, RUNTIME_ENTRIES } from "./module_graph.ts";
import {
  MEMORY_LIMIT,
  podmanArgv,
  prepareRuncBundle,
  runcArgv,
} from "./peer_commands.ts";
import { hasPeer } from "./peers.ts";
import { ensurePodmanBridge, podmanRootfs } from "./podman.ts";
import {
  commandLineOf,
  descendantsOf,
  inHostPidNamespace,
  peakRssKiB,
  readProcessTable,
} from "./procfs.ts";
import type { ProcessEntry } from "./procfs.ts";
import { progress } from "./progress.ts";
import { spawn, tail } from "./process.ts";
import { median } from "./stats.ts";

const SLEEP_MS = 2000;
const SLEEP = ["/bin/sleep", String(SLEEP_MS / 1000)];
const POLL_MS = 50;

/** Peak RSS of one process. */
export interface ProcessPeak {
  pid: number;
  comm: string;
  peakKiB: number;
}

/** One sampled container start. */
export interface MemorySample {
  totalKiB: number;
  processes: ProcessPeak[];
  error?: string;
}

export interface MemoryResult {
  label: string;
  command: string[];
  samples: MemorySample[];
  medianKiB: number;
  /** The processes of the sample closest to the median. */
  typical?: MemorySample;
}

interface Subject {
  label: string;
  /**
   * True for a container runtime, whose processes count only while the
   * container runs; false for a reference process, which always counts.
   */
  container: boolean;
  argv: () => { argv: string[]; name: string };
  /** Extra processes outside the spawned tree, such as podman's conmon. */
  extraRoots?: (table: Map<number, ProcessEntry>, name: string) => number[];
}

function conmonOf(table: Map<number, ProcessEntry>, name: string): number[] {
  return [...table.values()]
    .filter((entry) => entry.comm === "conmon")
    .filter((entry) => commandLineOf(entry.pid).includes(` ${name} `))
    .map((entry) => entry.pid);
}

/** Returns true when the container's `sleep` runs under `pids`. */
function containerRuns(table: Map<number, ProcessEntry>, pids: number[]) {
  return pids.some((pid) =>
    table.get(pid)?.comm === "sleep" && !inHostPidNamespace(pid)
  );
}

/** Polls /proc until `child` exits; returns the peaks of the counted processes. */
async function pollPeaks(
  subject: Subject,
  child: Deno.ChildProcess,
  name: string,
): Promise<ProcessPeak[]> {
  const peaks = new Map<number, ProcessPeak>();
  const counted = new Set<number>();
  let exited = false;
  child.status.finally(() => exited = true);

  while (!exited) {
    const table = readProcessTable();
    const roots = [child.pid, ...(subject.extraRoots?.(table, name) ?? [])];
    const tree = descendantsOf(table, roots);
    const running = !subject.container || containerRuns(table, tree);
    for (const pid of tree.filter(inHostPidNamespace)) {
      const peakKiB = peakRssKiB(pid);
      if (peakKiB === undefined) continue;
      peaks.set(pid, { pid, comm: table.get(pid)!.comm, peakKiB });
      if (running) counted.add(pid);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return [...counted].map((pid) => peaks.get(pid)!);
}

async function sampleOnce(subject: Subject): Promise<MemorySample> {
  const { argv, name } = subject.argv();
  const child = spawn(argv, { stdout: "null" });
  const stderr = new Response(child.stderr).text();

  const processes = await pollPeaks(subject, child, name);
  const { code } = await child.status;
  const totalKiB = processes.reduce((sum, entry) => sum + entry.peakKiB, 0);

  if (code !== 0) {
    const error = `exit status ${code}: ${tail(await stderr)}`;
    return { totalKiB, processes, error };
  }
  if (processes.length === 0) {
    const error = subject.container
      ? "no runtime process was seen while the container's sleep ran"
      : "the process was never seen";
    return { totalKiB, processes, error };
  }
  return { totalKiB, processes };
}

async function subjects(context: BenchContext): Promise<Subject[]> {
  const list: Subject[] = [{
    label: "tscontainer",
    container: true,
    argv: () => {
      const name = containerName(context, "p3");
      const argv = tscontainerArgv(context, {
        name,
        network: "bridge",
        memory: MEMORY_LIMIT,
        command: SLEEP,
      });
      return { argv, name };
    },
  }];
  if (hasPeer(context.peers, "runc")) {
    const bundle = await prepareRuncBundle(context, "sleep", SLEEP);
    let round = 0;
    list.push({
      label: "runc",
      container: true,
      argv: () => {
        const name = `${NAME_PREFIX}-p3-${++round}`;
        context.cleanup.trackRunc(name);
        return { argv: runcArgv(context, bundle, name), name };
      },
    });
  }
  if (hasPeer(context.peers, "podman")) {
    await ensurePodmanBridge(context);
    const rootfs = await podmanRootfs(context);
    let round = 0;
    list.push({
      label: "podman + conmon",
      container: true,
      argv: () => {
        const name = `${NAME_PREFIX}-p3-podman-${++round}`;
        context.cleanup.trackPodman(name);
        return {
          argv: podmanArgv(context, { name, rootfs, command: SLEEP }),
          name,
        };
      },
      extraRoots: conmonOf,
    });
  }
  return [...list, ...references()];
}

/**
 * Deno processes that hold for as long as the container sleeps: one with
 * an empty module and one with every module of the runtime's start loaded,
 * to split the runtime's RSS into Deno, its modules and the rest.
 */
function references(): Subject[] {
  const hold = `--hold=${SLEEP_MS}`;
  const modules = modulesInLoadOrder(RUNTIME_ENTRIES)
    .map((module) => module.specifier);
  const argvs = [
    { label: "reference: Deno, nothing loaded", extra: [] as string[] },
    {
      label: "reference: Deno with the runtime's modules loaded",
      extra: modules,
    },
  ];
  return argvs.map(({ label, extra }) => ({
    label,
    container: false,
    argv: () => ({
      argv: [...denoRun(IMPORT_PROBE), hold, ...extra],
      name: label,
    }),
  }));
}

function closestToMedian(samples: MemorySample[], value: number) {
  return [...samples].sort((a, b) =>
    Math.abs(a.totalKiB - value) - Math.abs(b.totalKiB - value)
  )[0];
}

/**
 * P3: for tscontainer the runtime process (the init stage execs into
 * `sleep`, which is the container's), for runc the `runc run` process, for
 * podman the `podman run` process and conmon. Runtimes alternate run by run.
 */
export async function benchP3(context: BenchContext): Promise<MemoryResult[]> {
  const list = await subjects(context);
  const results: MemoryResult[] = list.map((subject) => ({
    label: subject.label,
    command: subject.argv().argv,
    samples: [],
    medianKiB: NaN,
  }));
  progress(`P3: ${list.map((subject) => subject.label).join(", ")}`);
  for (let run = 0; run < context.options.counts.memoryRuns; run++) {
    for (const [index, subject] of list.entries()) {
      results[index].samples.push(await sampleOnce(subject));
    }
  }
  for (const result of results) {
    const good = result.samples.filter((sample) => !sample.error);
    result.medianKiB = median(good.map((sample) => sample.totalKiB));
    result.typical = good.length > 0
      ? closestToMedian(good, result.medianKiB)
      : undefined;
  }
  return results;
}
