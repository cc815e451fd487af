/** `tscontainer ps`: lists running containers. */
import { UsageError } from "../errors.ts";
import { listLiveStates } from "../state/store.ts";
import type { ContainerState } from "../state/store.ts";

function row(state: ContainerState): string[] {
  return [
    state.name,
    String(state.pid),
    state.hostname,
    state.network?.address ?? "-",
    state.createdAt,
    state.command.join(" "),
  ];
}

function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((cells) => cells[column].length))
  );
  return rows.map((cells) =>
    cells.map((cell, column) =>
      column === cells.length - 1 ? cell : cell.padEnd(widths[column])
    ).join("  ")
  ).join("\n");
}

/**
 * Prints the running containers as a table or as JSON and returns 0.
 * @throws {UsageError} for an unknown format.
 */
export function psCommand(options: { format: string }): number {
  const states = listLiveStates();
  if (options.format === "json") {
    // deno-lint-ignore no-console
    console.log(JSON.stringify(states, null, 2));
    return 0;
  }
  if (options.format !== "table") {
    throw new UsageError(`invalid --format ${JSON.stringify(options.format)}`, {
      hint: "use --format table or --format json",
    });
  }
  const header = ["NAME", "PID", "HOSTNAME", "ADDRESS", "CREATED", "COMMAND"];
  // deno-lint-ignore no-console
  console.log(formatTable([header, ...states.map(row)]));
  return 0;
}
