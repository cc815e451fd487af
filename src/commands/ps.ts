/** `tscontainer ps`: lists running containers. */
import { UsageError } from "../errors.ts";
import { isLive, listLiveStates, listStateNames } from "../state/store.ts";
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

/** Names the containers whose runtime died without removing them. */
function warnAboutStale(): void {
  const stale = listStateNames().filter((name) => !isLive(name));
  if (stale.length === 0) return;
  const names = stale.join(" ");
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `tscontainer: stopped containers left state behind: ${names}; remove them with \`tscontainer rm ${names}\`\n`,
    ),
  );
}

/**
 * Prints the running containers as a table or as JSON and returns 0.
 * @throws {UsageError} for an unknown format.
 */
export function psCommand(options: { format: string }): number {
  const states = listLiveStates();
  warnAboutStale();
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
