/**
 * `tscontainer ps`: lists running containers, as a table or as JSON lines
 * (one object a line, as `docker ps --format json` prints them).
 */
import { UsageError } from "../errors.ts";
import { printNotice } from "../messages.ts";
import { isLive, listLiveStates, listStateNames } from "../state/store.ts";
import type { ContainerState } from "../state/store.ts";

/** "starting" until the command has replaced the init stage. */
function statusOf(state: ContainerState): string {
  return state.pid > 0 ? "running" : "starting";
}

function row(state: ContainerState): string[] {
  return [
    state.name,
    statusOf(state),
    state.pid > 0 ? String(state.pid) : "-",
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
  printNotice(
    `stopped containers left state behind: ${names}; remove them with \`tscontainer rm ${names}\``,
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
    for (const state of states) {
      // deno-lint-ignore no-console
      console.log(JSON.stringify({ ...state, status: statusOf(state) }));
    }
    return 0;
  }
  if (options.format !== "table") {
    throw new UsageError(`invalid --format ${JSON.stringify(options.format)}`, {
      hint: "use --format table or --format json",
    });
  }
  const header = [
    "NAME",
    "STATUS",
    "PID",
    "HOSTNAME",
    "ADDRESS",
    "CREATED",
    "COMMAND",
  ];
  // deno-lint-ignore no-console
  console.log(formatTable([header, ...states.map(row)]));
  return 0;
}
