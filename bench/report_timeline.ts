/** Report section: the start-up timeline and the probes that explain it. */
import type { AnatomyResult, ImportProfile } from "./anatomy.ts";
import { commandBlock } from "./report_runtimes.ts";
import { formatMs, markdownTable } from "./stats.ts";
import type { TimelineResult } from "./timeline.ts";

/** Modules listed per process; the rest are summed in one row. */
const TOP_MODULES = 12;

function renderPhases(results: TimelineResult[]): string {
  const rows = results[0].phases.map((phase, index) => [
    phase.name,
    ...results.flatMap((result) => {
      const summary = result.phases[index].summary;
      return [
        formatMs(summary.median),
        `${formatMs(summary.min)} – ${formatMs(summary.max)}`,
      ];
    }),
  ]);
  rows.push([
    "**wall time, spawn to exit**",
    ...results.flatMap((result) => [
      `**${formatMs(result.wall.median)}**`,
      `${formatMs(result.wall.min)} – ${formatMs(result.wall.max)}`,
    ]),
  ]);
  return markdownTable(
    [
      "phase",
      ...results.flatMap((r) => [`${r.mode}: median`, `${r.mode}: range`]),
    ],
    rows,
  );
}

function renderSteps(result: TimelineResult): string {
  const rows = result.steps.map((step) => [
    `${"· ".repeat(step.depth)}${step.key}${
      step.repeats > 1 ? ` (×${step.repeats})` : ""
    }`,
    formatMs(step.medianStartMs),
    formatMs(step.medianTookMs),
    formatMs(step.minTookMs),
    formatMs(step.maxTookMs),
    String(step.seen),
  ]);
  return markdownTable(
    [
      "step (· = inside the step above)",
      "starts at (median)",
      "took (median)",
      "min",
      "max",
      "starts",
    ],
    rows,
  );
}

function renderImports(profile: ImportProfile): string {
  const listed = profile.modules.slice(0, TOP_MODULES);
  const rest = profile.modules.slice(TOP_MODULES);
  const rows = listed.map((
    module,
  ) => [`\`${module.label}\``, formatMs(module.medianMs)]);
  if (rest.length > 0) {
    const restMs = rest.reduce((sum, module) => sum + module.medianMs, 0);
    rows.push([`${rest.length} other modules`, formatMs(restMs)]);
  }
  rows.push(["**all imports**", `**${formatMs(profile.total.median)}**`]);
  return [
    `${profile.process} (entry points ${
      profile.entries.map((e) => `\`${e}\``).join(", ")
    }; ` +
    `Deno's bootstrap from the time origin to the first statement: ${
      formatMs(profile.bootstrap.median)
    }):`,
    "",
    markdownTable([
      "module (own cost: imported after its dependencies)",
      "median",
    ], rows),
  ].join("\n");
}

function renderAnatomy(anatomy: AnatomyResult): string {
  const parts = [
    "### Probes",
    "",
    "Processes, interleaved, outside any container:",
    "",
    markdownTable(
      ["probe", "median", "min", "max", "runs"],
      anatomy.processes.map((probe) => [
        probe.label,
        formatMs(probe.summary.median),
        formatMs(probe.summary.min),
        formatMs(probe.summary.max),
        String(probe.summary.count),
      ]),
    ),
  ];
  if (anatomy.netns) {
    parts.push(
      "",
      `\`ip netns add\` of a named namespace: median ${
        formatMs(anatomy.netns.add.median)
      } ` +
        `(${formatMs(anatomy.netns.add.min)} – ${
          formatMs(anatomy.netns.add.max)
        }); ` +
        `\`ip netns del\`: median ${formatMs(anatomy.netns.del.median)}.`,
    );
  }
  if (anatomy.ffi) {
    parts.push(
      "",
      "The first call through `ffi/libc.ts` in a fresh process (it opens libc and binds " +
        `every symbol), from \`bench/ffi_probe.ts\`: median ${
          formatMs(anatomy.ffi.first.median)
        } ` +
        `(${formatMs(anatomy.ffi.first.min)} – ${
          formatMs(anatomy.ffi.first.max)
        }); ` +
        `the second call: ${formatMs(anatomy.ffi.second.median)}.`,
    );
  }
  if (anatomy.spawn) {
    parts.push(
      "",
      "`ip -batch -` started with `Deno.Command` as the runtime starts it (stdin piped), " +
        "from `bench/spawn_probe.ts`: the first spawn of a Deno process median " +
        `${formatMs(anatomy.spawn.first.median)} (${
          formatMs(anatomy.spawn.first.min)
        } – ${formatMs(anatomy.spawn.first.max)}), ` +
        `each later spawn median ${formatMs(anatomy.spawn.later.median)}.`,
    );
  }
  parts.push(
    "",
    "Module loading, timed inside fresh Deno processes by `bench/import_probe.ts`, " +
      "which imports every module of a process's static import graph, dependencies first:",
  );
  for (const profile of anatomy.imports) parts.push("", renderImports(profile));
  if (anatomy.cgroup) {
    const probe = anatomy.cgroup;
    parts.push(
      "",
      `Joining cgroups: a \`sleep\` process was written into a fresh cgroup in each of ${probe.hierarchies.length} hierarchies ` +
        `(${
          probe.hierarchies.join(", ")
        }), each join after a pause of 200 ms. ` +
        `The first write took a median ${formatMs(probe.firstWrite.median)} ` +
        `(${formatMs(probe.firstWrite.min)} – ${
          formatMs(probe.firstWrite.max)
        }), ` +
        `each later write ${formatMs(probe.laterWrites.median)}, and the ` +
        `whole join median ${formatMs(probe.join.median)}. ` +
        "A migration write-locks the kernel's cgroup_threadgroup_rwsem, which implies " +
        "synchronize_rcu() unless the hierarchy uses favordynmods (Linux commit 6a010a49b63a).",
    );
  }
  if (anatomy.processes.length > 0) {
    parts.push(
      "",
      commandBlock(
        anatomy.processes.map((p) => ({ label: p.label, argv: p.command })),
      ),
    );
  }
  for (const error of anatomy.errors) {
    parts.push("", `- probe failed: ${error}`);
  }
  return parts.join("\n");
}

/** Renders the timeline: phases of both modes, the steps of each, the probes. */
export function renderTimeline(
  results: TimelineResult[] | undefined,
  anatomy: AnatomyResult | undefined,
): string {
  const parts: string[] = [];
  if (results && results.length > 0) {
    parts.push(
      "Phases between the log's landmarks. Each cell is the median of that phase, so the " +
        "rows need not add up to the median wall time. The runtime's setup row overlaps the " +
        "init stage's rows whenever the runtime starts the init stage before it has prepared the host.",
      "",
      renderPhases(results),
    );
    for (const result of results) {
      parts.push(
        "",
        `### Steps with \`--network ${result.mode}\``,
        "",
        renderSteps(result),
        "",
        commandBlock([{ label: `one of the starts`, argv: result.command }]),
      );
      if (result.failures.length > 0) {
        parts.push(
          "",
          `- ${result.failures.length} failed starts, such as: ${
            result.failures[0]
          }`,
        );
      }
    }
  }
  if (anatomy) parts.push("", renderAnatomy(anatomy));
  return parts.join("\n");
}
