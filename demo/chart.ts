/**
 * Text charts for the terminal: memory use over time against a limit line,
 * and horizontal bars. Unicode block glyphs when styled, ASCII otherwise.
 */

/** One reading of a cgroup's memory use, `ms` after sampling began. */
export interface MemorySample {
  ms: number;
  bytes: number;
}

interface Glyphs {
  full: string;
  half: string;
  limit: string;
  axis: string;
  tick: string;
  corner: string;
  /** Partial bar cells in eighths, from 1/8 to 7/8. */
  eighths: string[];
}

const UNICODE: Glyphs = {
  full: "█",
  half: "▄",
  limit: "━",
  axis: "─",
  tick: "┤",
  corner: "┼",
  eighths: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"],
};

const ASCII: Glyphs = {
  full: "#",
  half: ".",
  limit: "=",
  axis: "-",
  tick: "|",
  corner: "+",
  eighths: [],
};

const MIB = 1024 * 1024;
/** Rows of the chart below the limit line. */
const ROWS_BELOW_LIMIT = 8;
const MAX_ROWS = 24;

/**
 * Reduces samples to one value per column: the maximum of the samples in
 * the column's time slice, or the previous column's value when it has none.
 */
function sampleColumns(
  samples: MemorySample[],
  width: number,
): number[] {
  const endMs = Math.max(...samples.map((sample) => sample.ms), 1);
  const columns: number[] = [];
  let previous = 0;
  for (let column = 0; column < width; column++) {
    const from = (column * endMs) / width;
    const to = ((column + 1) * endMs) / width;
    const inSlice = samples.filter((sample) =>
      sample.ms >= from && (sample.ms < to || column === width - 1)
    );
    previous = inSlice.length > 0
      ? Math.max(...inSlice.map((sample) => sample.bytes))
      : previous;
    columns.push(previous);
  }
  return columns;
}

function cellGlyph(
  value: number,
  bottom: number,
  step: number,
  glyphs: Glyphs,
) {
  if (value >= bottom + step) return glyphs.full;
  if (value >= bottom + step / 2) return glyphs.half;
  return " ";
}

/**
 * Draws memory use over time as columns, with the limit as a horizontal
 * line at its height. Returns the chart's lines, y axis in MiB.
 */
export function renderMemoryChart(
  samples: MemorySample[],
  limitBytes: number,
  width: number,
  unicode: boolean,
): string[] {
  const glyphs = unicode ? UNICODE : ASCII;
  const columns = sampleColumns(samples, width);
  const peak = Math.max(...columns);
  const step = Math.max(limitBytes / ROWS_BELOW_LIMIT, peak / (MAX_ROWS - 1));
  const rows = Math.min(MAX_ROWS, Math.max(10, Math.ceil(peak / step) + 1));
  const limitRow = Math.round(limitBytes / step);
  const label = (bytes: number) => `${Math.round(bytes / MIB)}`.padStart(5);

  const lines = ["  MiB"];
  for (let row = rows - 1; row >= 0; row--) {
    const bottom = row * step;
    const cells = columns.map((value) =>
      cellGlyph(value, bottom, step, glyphs)
    );
    // The limit line states the top edge of the row below it.
    const top = row + 1 === limitRow ? "     " : label(bottom + step);
    lines.push(`${top} ${glyphs.tick}${cells.join("")}`);
    if (row === limitRow) {
      const line = columns.map((value) =>
        value > limitBytes ? glyphs.full : glyphs.limit
      );
      lines.push(`${label(limitBytes)} ${glyphs.corner}${line.join("")} limit`);
    }
  }
  const endMs = Math.max(...samples.map((sample) => sample.ms), 1);
  const endLabel = `${(endMs / 1000).toFixed(1)} s`;
  lines.push(`${label(0)} ${glyphs.corner}${glyphs.axis.repeat(width)}`);
  lines.push(`       0 s${endLabel.padStart(width - 3)}`);
  return lines;
}

/** One bar: its label, length as a fraction of the full width, and the text after it. */
export interface Bar {
  label: string;
  fraction: number;
  text: string;
}

function barCells(fraction: number, width: number, glyphs: Glyphs): string {
  const eighths = Math.round(Math.min(Math.max(fraction, 0), 1) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest > 0 && glyphs.eighths.length > 0
    ? glyphs.eighths[rest - 1]
    : "";
  return (glyphs.full.repeat(full) + partial).padEnd(width);
}

/**
 * Draws horizontal bars from 0 to 100 %, with a scale line below them that
 * marks 0, `markFraction` and 100 %.
 */
export function renderBars(
  bars: Bar[],
  width: number,
  markFraction: number,
  unicode: boolean,
): string[] {
  const glyphs = unicode ? UNICODE : ASCII;
  const labelWidth = Math.max(...bars.map((bar) => bar.label.length));
  const lines = bars.map((bar) =>
    `  ${bar.label.padEnd(labelWidth)} ${glyphs.tick}${
      barCells(bar.fraction, width, glyphs)
    }${glyphs.tick} ${bar.text}`
  );
  const markColumn = Math.round(markFraction * width);
  const markLabel = `${Math.round(markFraction * 100)}%`;
  const scale = "0%".padEnd(markColumn) + markLabel;
  lines.push(
    `  ${" ".repeat(labelWidth)} ${scale.padEnd(width + 1)}100%`,
  );
  return lines;
}
