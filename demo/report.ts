/** The summary table printed after the scenarios. */
import type { Output } from "./output.ts";
import type { ScenarioResult } from "./runner.ts";
import { formatSeconds } from "./timing.ts";

function outcomeCell(out: Output, result: ScenarioResult, width: number) {
  const text = result.outcome.padEnd(width);
  if (result.outcome === "pass") return out.paint("green", text);
  if (result.outcome === "fail") return out.paint("red", text.toUpperCase());
  return out.paint("yellow", text);
}

/**
 * Prints one row per scenario: its name, its outcome, and its key figure,
 * or for a failed or skipped scenario the reason.
 */
export function printSummary(
  out: Output,
  results: ScenarioResult[],
  elapsedMs: number,
): void {
  const nameWidth = Math.max(8, ...results.map((result) => result.name.length));
  const outcomeWidth = 7;
  out.heading("summary");
  out.line(
    `  ${"scenario".padEnd(nameWidth)}  ${
      "result".padEnd(outcomeWidth)
    }  key figure`,
  );
  for (const result of results) {
    const detail = result.outcome === "pass"
      ? result.figure
      : result.reason ?? "";
    out.line(
      `  ${result.name.padEnd(nameWidth)}  ${
        outcomeCell(out, result, outcomeWidth)
      }  ${detail}`,
    );
  }
  const passed = results.filter((result) => result.outcome === "pass").length;
  out.line();
  out.line(
    `${passed} of ${results.length} scenarios passed in ${
      formatSeconds(elapsedMs)
    }`,
  );
}
