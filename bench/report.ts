/** The Markdown report that `deno task bench` writes. */
import { renderLimits } from "./report_limits.ts";
import { MEMORY_LIMIT } from "./peer_commands.ts";
import {
  renderConcurrency,
  renderMemory,
  renderStartup,
  renderThroughput,
} from "./report_runtimes.ts";
import { renderTimeline } from "./report_timeline.ts";
import type { BenchResults } from "./results.ts";
import { markdownTable, verdict } from "./stats.ts";
import { checkTargets } from "./targets.ts";
import type { BenchId } from "./options.ts";

function renderIntro(results: BenchResults): string {
  const { options } = results;
  const counts = options.counts;
  const mode = options.quick ? "quick mode (`--quick`)" : "full mode";
  const only = options.only.size < 6
    ? `, only ${[...options.only].join(", ")}`
    : "";
  return [
    "# Benchmarks",
    "",
    `Written by \`deno task bench\` on ${results.machine.date}, in ${mode}${only}; ` +
    `the run took ${
      results.durationSeconds.toFixed(0)
    } s. Rerun it as root with ` +
    "`sudo deno task bench` (`--help` lists the options). It is not part of the tests or CI.",
    "",
    "Method: every start is timed by the bench from spawn to exit. Runtimes take turns " +
    `(A B C, B C A, ...) after ${counts.warmups} untimed warm-up rounds, and each ratio ` +
    "divides two medians from the same run. Every container gets a " +
    `${MEMORY_LIMIT} memory limit where the runtime supports one. tscontainer runs as ` +
    "`deno run --allow-all --no-prompt --cached-only main.ts`, like the launcher that " +
    "`deno task compile` writes where `deno compile` cannot download its runtime. " +
    "Every program runs with `DENO_NO_UPDATE_CHECK=1`, and network traffic goes only to " +
    "loopback and to the bench's own running containers.",
  ].join("\n");
}

/**
 * Returns a warning when the 1-minute load average at the start exceeded
 * half the CPUs, a sign that other work shared the machine with the run.
 */
function loadWarning(results: BenchResults): string[] {
  const load = Number(results.machine.loadAtStart.split(",")[0]);
  if (!(load > navigator.hardwareConcurrency / 2)) return [];
  return [
    "",
    `Other work ran on the machine during this run (load average ${
      load.toFixed(2)
    } ` +
    `on ${navigator.hardwareConcurrency} CPUs at the start), so the numbers are noisier ` +
    "than on an idle machine; the interleaving spreads that noise over all runtimes alike.",
  ];
}

function renderMachine(results: BenchResults): string {
  const machine = results.machine;
  return [
    "## Machine and tools",
    "",
    markdownTable(["", ""], [
      ["OS", machine.os],
      ["kernel", machine.kernel],
      ["CPUs", machine.cpus],
      ["memory", machine.memory],
      ["cgroups", machine.cgroups],
      [
        "load average (1, 5, 15 min)",
        `${machine.loadAtStart} at the start, ${results.loadAtEnd} at the end`,
      ],
    ]),
    "",
    markdownTable(
      ["tool", "version"],
      machine.tools.map((tool) => [tool.name, tool.version]),
    ),
    ...loadWarning(results),
  ].join("\n");
}

function renderSummary(results: BenchResults): string {
  const rows = checkTargets(results).map((check) => [
    check.id,
    check.target,
    check.measured,
    verdict(check.holds),
  ]);
  return [
    "## Targets",
    "",
    markdownTable(["", "target", "measured", "verdict"], rows),
  ].join("\n");
}

function section(
  results: BenchResults,
  id: BenchId,
  title: string,
  body: () => string | undefined,
): string | undefined {
  if (!results.options.only.has(id)) return undefined;
  const error = results.errors[id];
  const text = error
    ? `The benchmark failed: ${error}`
    : body() ?? "No result.";
  return `## ${title}\n\n${text}`;
}

const P1_NOTES = [
  "bwrap and unshare(1) set no memory limit (neither supports cgroups); unshare(1) also mounts no /dev and sets no hostname.",
  "runc runs a bundle made by `runc spec` with the command, `terminal: false`, a writable copy of rootfs/ and the memory limit; runc run deletes the container when it exits.",
];

const P2_NOTES = [
  "podman runs with `--runtime runc --cgroup-manager=cgroupfs` and ulimits that fit this machine's hard limits, on a copy of rootfs/.",
  "A detached podman container runs `sleep` for the whole run, so podman's bridge stays up (netavark deletes it with its last container); tscontainer's tsc0 bridge stays up by design.",
];

function renderCleanup(results: BenchResults): string {
  const cleanup = results.cleanup;
  if (!cleanup) return "## Cleanup\n\nCleanup did not run.";
  const lines = [
    `Removed: ${
      cleanup.removed.length > 0
        ? cleanup.removed.join(", ")
        : "nothing beyond the scratch directory"
    }.`,
    cleanup.leaks.length > 0
      ? `tscontainer left behind (removed by the bench): ${
        cleanup.leaks.join(", ")
      }.`
      : "tscontainer left nothing behind: no network namespace, state or data directory, cgroup or mount of the run's containers.",
  ];
  if (cleanup.failures.length > 0) {
    lines.push(`Cleanup failures: ${cleanup.failures.join("; ")}.`);
  }
  return ["## Cleanup", "", ...lines.map((line) => `- ${line}`)].join("\n");
}

/** Renders the whole report. */
export function renderReport(results: BenchResults): string {
  const sections = [
    renderIntro(results),
    renderSummary(results),
    renderMachine(results),
    section(
      results,
      "P1",
      "P1: start-up without network",
      () =>
        results.P1 &&
        "Start to exit of `/bin/true`, no network.\n\n" +
          renderStartup(results.P1, P1_NOTES),
    ),
    section(
      results,
      "P2",
      "P2: start-up with a bridged network",
      () =>
        results.P2 &&
        "Start to exit of `/bin/true` with a veth pair on a bridge and an address.\n\n" +
          renderStartup(results.P2, P2_NOTES),
    ),
    section(
      results,
      "P3",
      "P3: memory of the runtime processes",
      () =>
        results.P3 &&
        "Peak RSS (VmHWM), summed over the runtime processes in the host PID namespace that are alive while the container runs `sleep 2`, " +
          "sampled every 50 ms. For tscontainer that is the runtime process (the init stage has exec'd into `sleep`), for runc `runc run`, for podman `podman run` and conmon. Bridged network for tscontainer and podman.\n\n" +
          renderMemory(results.P3),
    ),
    section(
      results,
      "P4",
      "P4: containers started at once",
      () =>
        results.P4 &&
        "Networked containers started together, each printing its address and then running `sleep 1`; wall time from the first spawn to the last exit.\n\n" +
          renderConcurrency(results.P4),
    ),
    section(
      results,
      "P5",
      "P5: TCP throughput",
      () =>
        results.P5 &&
        "tcp-send on the host to tcp-sink in a container over the veth pair, against tcp-sink on the host over loopback; rates are the sender's, transfers alternate.\n\n" +
          renderThroughput(results.P5),
    ),
    section(
      results,
      "timeline",
      "Start-up timeline",
      () =>
        (results.timeline || results.anatomy) &&
        "tscontainer started with `--log-level debug`, `/bin/true`, the memory limit, alternating `--network none` and `--network bridge`. " +
          "Each log line ends a step; `starts at` counts from the runtime's time origin.\n\n" +
          renderTimeline(results.timeline, results.anatomy),
    ),
    renderLimits(),
    renderCleanup(results),
  ];
  return sections.filter((part) => part !== undefined).join("\n\n") + "\n";
}
