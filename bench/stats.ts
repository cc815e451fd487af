/** Summary statistics and number formatting for the report. */

/** Median, minimum and maximum of a sample. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  count: number;
}

/** Returns the median of `values`, or NaN for an empty list. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Summarizes `values`; every field is NaN (count 0) for an empty list. */
export function summarize(values: number[]): Summary {
  if (values.length === 0) {
    return { median: NaN, min: NaN, max: NaN, count: 0 };
  }
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    count: values.length,
  };
}

/** Formats milliseconds with one decimal, or a dash for NaN. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "—";
}

/** Formats a ratio such as 1.23×, or a dash when it is undefined. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—";
}

/** Formats KiB as MiB with one decimal. */
export function formatMiB(kib: number): string {
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : "—";
}

/** Formats a throughput in MiB/s. */
export function formatRate(mibPerSecond: number): string {
  return Number.isFinite(mibPerSecond)
    ? `${mibPerSecond.toFixed(0)} MiB/s`
    : "—";
}

/** Renders a Markdown table. Cells must not contain `|` or newlines. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const lines = [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** Renders a target check as a table cell. */
export function verdict(holds: boolean | undefined): string {
  if (holds === undefined) return "not measured";
  return holds ? "holds" : "does not hold";
}
