// deno-lint-ignore-file no-console
/**
 * The demo's terminal output: headings, the commands it runs, container
 * output, checks and notes. Colors and Unicode glyphs are used only on a
 * terminal without NO_COLOR, so logs of CI runs stay plain ASCII.
 */

const ANSI = {
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
  reset: "\x1b[0m",
} as const;

type Style = Exclude<keyof typeof ANSI, "reset">;

/** Returns true when the output is styled: a terminal, and NO_COLOR unset or empty. */
export function wantsStyle(): boolean {
  const noColor = Deno.env.get("NO_COLOR");
  return Deno.stdout.isTerminal() && (noColor === undefined || noColor === "");
}

/** Quotes `arg` for a POSIX shell when it contains anything but safe characters. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** Writes the demo's lines to stdout, styled or plain. */
export class Output {
  /** Terminal columns, or 80 when stdout is not a terminal or reports 0. */
  readonly columns: number;

  constructor(readonly styled: boolean = wantsStyle()) {
    const size = Deno.stdout.isTerminal() ? Deno.consoleSize().columns : 0;
    this.columns = size > 0 ? size : 80;
  }

  /** Wraps `text` in an ANSI style when the output is styled. */
  paint(style: Style, text: string): string {
    return this.styled ? `${ANSI[style]}${text}${ANSI.reset}` : text;
  }

  line(text = ""): void {
    console.log(text);
  }

  heading(text: string): void {
    this.line();
    this.line(this.paint("bold", `== ${text}`));
  }

  /**
   * Prints a command that the demo runs on the host. `program` is printed as
   * given, so it may be several words such as "deno run main.ts".
   */
  hostCommand(program: string, args: string[]): void {
    const text = [program, ...args.map(shellQuote)].join(" ");
    this.line(`  ${this.paint("cyan", "$")} ${text}`);
  }

  /** Prints a command line sent to the shell of the container `hostname`. */
  containerCommand(hostname: string, command: string): void {
    this.line(`  ${this.paint("cyan", `${hostname}$`)} ${command}`);
  }

  /**
   * Prints a line of output from `source` (a container's hostname or
   * "host"): `|` marks stdout and `!` stderr.
   */
  outputLine(source: string, stream: "stdout" | "stderr", text: string): void {
    const mark = stream === "stdout" ? "|" : "!";
    this.line(`    ${this.paint("dim", `${source} ${mark}`)} ${text}`);
  }

  /** Prints the result of one check with the value it measured. */
  check(passed: boolean, label: string, measured: string): void {
    const mark = passed
      ? this.paint("green", this.styled ? "✔ ok  " : "ok  ")
      : this.paint("red", this.styled ? "✘ FAIL" : "FAIL");
    this.line(`  ${mark} ${label}: ${measured}`);
  }

  note(text: string): void {
    this.line(`  ${this.paint("yellow", "note:")} ${text}`);
  }
}
