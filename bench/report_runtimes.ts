/** Report sections P1 to P5: tscontainer against its peers. */
import type { ConcurrencyResult } from "./concurrency.ts";
import type { MemoryResult } from "./memory.ts";
import { shellQuote } from "./process.ts";
import {
  formatMiB,
  formatMs,
  formatRate,
  formatRatio,
  markdownTable,
  summarize,
} from "./stats.ts";
import type { StartupResult } from "./startup.ts";
import { startupRatio } from "./targets.ts";
import type { ThroughputResult } from "./throughput.ts";

/** Renders a fenced block with one shell command per line. */
export function commandBlock(commands: { label: string; argv: string[] }[]) {
  const lines = commands.map(({ label, argv }) =>
    `# ${label}\n${shellQuote(argv)}`
  );
  return ["```sh", ...lines, "```"].join("\n");
}

function failureNotes(label: string, failures: string[]): string[] {
  if (failures.length === 0) return [];
  const distinct = [...new Set(failures)].slice(0, 3);
  return [
    `${label}: ${failures.length} failed starts, such as: ${
      distinct.map((f) => `\`${f.replaceAll("`", "'")}\``).join("; ")
    }`,
  ];
}

/** P1 and P2: the interleaved table, commands and hyperfine's cross-check. */
export function renderStartup(result: StartupResult, notes: string[]): string {
  const rows = result.contenders.map((contender) => [
    contender.label,
    formatMs(contender.summary.median),
    formatMs(contender.summary.min),
    formatMs(contender.summary.max),
    String(contender.summary.count),
    String(contender.failures.length),
    contender.label === "tscontainer"
      ? "—"
      : formatRatio(startupRatio(result, contender.label)),
  ]);
  const parts = [
    markdownTable(
      [
        "runtime",
        "median",
        "min",
        "max",
        "runs",
        "failures",
        "tscontainer ÷ runtime",
      ],
      rows,
    ),
    "",
    commandBlock(
      result.contenders.map((c) => ({ label: c.label, argv: c.command })),
    ),
  ];
  const extra = [
    ...notes,
    ...result.skipped.map((line) => `Skipped: ${line}.`),
    ...result.contenders.flatMap((c) => failureNotes(c.label, c.failures)),
  ];
  if (extra.length > 0) parts.push("", ...extra.map((line) => `- ${line}`));
  if (result.hyperfine) {
    parts.push(
      "",
      "hyperfine cross-check (each command's runs back to back, not interleaved):",
      "",
      markdownTable(
        [
          "runtime",
          "mean ± σ",
          "median",
          "min",
          "max",
          "CPU user + system (mean)",
          "runs",
        ],
        result.hyperfine.rows.map((row) => [
          row.label,
          `${formatMs(row.mean)} ± ${row.stddev.toFixed(1)}`,
          formatMs(row.median),
          formatMs(row.min),
          formatMs(row.max),
          `${formatMs(row.user)} + ${formatMs(row.system)}`,
          String(row.runs),
        ]),
      ),
      "",
      "```sh",
      shellQuote(result.hyperfine.argv),
      "```",
    );
  }
  if (result.hyperfineError) {
    parts.push("", `hyperfine cross-check failed: ${result.hyperfineError}`);
  }
  return parts.join("\n");
}

function processList(result: MemoryResult): string {
  const byComm = new Map<string, number>();
  for (const process of result.typical?.processes ?? []) {
    byComm.set(process.comm, (byComm.get(process.comm) ?? 0) + process.peakKiB);
  }
  return [...byComm.entries()]
    .map(([comm, kib]) => `${comm} ${formatMiB(kib)}`)
    .join(" + ") || "—";
}

/** P3: peak RSS per runtime. */
export function renderMemory(results: MemoryResult[]): string {
  const rows = results.map((result) => {
    const totals = summarize(
      result.samples.filter((s) => !s.error).map((s) => s.totalKiB),
    );
    return [
      result.label,
      formatMiB(result.medianKiB),
      formatMiB(totals.min),
      formatMiB(totals.max),
      String(totals.count),
      processList(result),
    ];
  });
  const errors = results.flatMap((result) =>
    result.samples.filter((s) => s.error).map((s) =>
      `${result.label}: ${s.error}`
    )
  );
  const parts = [
    markdownTable(
      [
        "runtime",
        "median peak RSS (sum)",
        "min",
        "max",
        "runs",
        "processes (median run)",
      ],
      rows,
    ),
    "",
    commandBlock(
      results.filter((r) => !r.label.startsWith("reference"))
        .map((r) => ({ label: r.label, argv: r.command })),
    ),
    "",
    "The references run `bench/import_probe.ts --hold=2000` under the same Deno and flags: " +
    "once with no module, once importing every module of the runtime's start " +
    "(the static import graph of the modules main.ts and the CLI load for `run`).",
  ];
  if (errors.length > 0) {
    parts.push(
      "",
      ...errors.map((line) => `- failed: ${line}`),
    );
  }
  return parts.join("\n");
}

/** P4: groups started at once. */
export function renderConcurrency(results: ConcurrencyResult[]): string {
  const rows = results.map((result) => {
    const walls = summarize(result.runs.map((run) => run.wallMs));
    const addresses = Math.min(
      ...result.runs.map((run) => new Set(run.addresses).size),
    );
    return [
      result.label,
      String(result.count),
      formatMs(result.medianWallMs),
      formatMs(walls.min),
      formatMs(walls.max),
      formatMs(result.overheadMs),
      String(result.failures),
      String(result.collisions),
      String(addresses),
      String(result.runs.length),
    ];
  });
  const failures = results.flatMap((result) =>
    failureNotes(
      `${result.count} × ${result.label}`,
      result.runs.flatMap((run) => run.failures),
    )
  );
  const commands = results.filter((r) => r.count === 1)
    .map((r) => ({ label: `${r.label} (one of the group)`, argv: r.command }));
  const parts = [
    markdownTable(
      [
        "runtime",
        "at once",
        "median wall",
        "min",
        "max",
        "per container ((wall − 1 s) ÷ n)",
        "failures",
        "collisions",
        "distinct addresses (min)",
        "runs",
      ],
      rows,
    ),
    "",
    commandBlock(commands),
  ];
  parts.push(
    "",
    "A collision is a pair of containers that held the same address at the " +
      "same time (each from its address line to its runtime's exit). Fewer " +
      "distinct addresses than containers without a collision means an " +
      "address was handed out again after its holder exited.",
  );
  if (failures.length > 0) {
    parts.push(
      "",
      ...failures.map((line) => `- ${line}`),
    );
  }
  return parts.join("\n");
}

/** P5: throughput to the container and over loopback. */
export function renderThroughput(result: ThroughputResult): string {
  const row = (label: string, rates: number[]) => {
    const summary = summarize(rates);
    return [
      label,
      formatRate(summary.median),
      formatRate(summary.min),
      formatRate(summary.max),
      String(summary.count),
    ];
  };
  return [
    markdownTable(
      ["path", "median", "min", "max", "transfers"],
      [
        row("host → container (veth, tsc0 bridge)", result.container),
        row("host → host (loopback)", result.loopback),
      ],
    ),
    "",
    `MTU of the container's eth0: ${result.settings.containerMtu}; of lo: ${result.settings.loopbackMtu}. ` +
    `net.bridge.bridge-nf-call-iptables (iptables on bridged traffic): ${result.settings.bridgeNetfilter}.`,
    "",
    `Ratio container ÷ loopback: ${
      formatRatio(result.medianContainer / result.medianLoopback)
    }.`,
    "",
    commandBlock([
      { label: "the sink container", argv: result.containerCommand },
      {
        label: "each transfer (ADDRESS is the container's or 127.0.0.1)",
        argv: result.sendCommand,
      },
    ]),
  ].join("\n");
}
