/** The command-line interface: parses arguments and dispatches commands. */
import { Command, CommanderError, Option } from "commander";
import { EXIT_RUNTIME_ERROR, exitCodeOf } from "./errors.ts";
import { printError } from "./messages.ts";
import { LOG_LEVEL_ENV, LOG_LEVELS, setLogLevel } from "./log.ts";
import type { LogLevel } from "./log.ts";
import type { SignalRelay } from "./container/signals.ts";
import { requireRoot } from "./container/privileges.ts";

/** The version `--version` prints. */
export const VERSION = "0.1.0";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function logLevelOption(): Option {
  return new Option(
    "--log-level <level>",
    "how much the runtime logs to stderr",
  )
    .choices(LOG_LEVELS)
    .env(LOG_LEVEL_ENV)
    .default("warn");
}

function applyLogLevel(options: { logLevel: LogLevel }): void {
  setLogLevel(options.logLevel);
}

/** Gives signals their default actions back, for commands other than run. */
function releaseSignals(result: CommandResult): void {
  result.relay?.close();
  result.relay = undefined;
}

function runCommand(result: CommandResult): Command {
  return new Command("run")
    .description(
      "run a command in a new container (the default command, so `tscontainer --rootfs DIR` is the same)",
    )
    .argument("[command...]", "command and arguments to run (default: /bin/sh)")
    .option("--rootfs <dir>", "root filesystem directory of the container")
    .option("--name <name>", "container name (default: generated)")
    .option(
      "--hostname <name>",
      "hostname inside the container (default: the name)",
    )
    .option(
      "-e, --env <NAME=VALUE>",
      "set an environment variable (repeatable)",
      collect,
      [],
    )
    .option(
      "-w, --workdir <dir>",
      "working directory inside the container",
      "/",
    )
    .option(
      "-m, --memory <size>",
      "memory limit: bytes or with a b/k/m/g suffix, such as 64m",
    )
    .option("--cpus <number>", "CPU limit in CPUs, such as 0.5")
    .option("--pids-limit <number>", "maximum number of processes")
    .option(
      "--cgroup-parent <path>",
      "cgroup under which the container's cgroup is created",
    )
    .option("--network <mode>", "network mode: bridge or none", "bridge")
    .option("--subnet <cidr>", "subnet of the tsc0 bridge, when it is created")
    .option(
      "--ip <address>",
      "fixed address for the container in the bridge subnet",
    )
    .option(
      "-p, --publish <[ip:]hostPort:containerPort>",
      "publish a container TCP port on the host (repeatable)",
      collect,
      [],
    )
    .option(
      "--no-overlay",
      "write to the rootfs itself instead of a per-container overlay",
    )
    .addOption(logLevelOption())
    .passThroughOptions()
    .action(async (command: string[], options) => {
      applyLogLevel(options);
      const { buildRunConfig } = await import("./container/run_config.ts");
      const { runContainer } = await import("./container/run.ts");
      const config = buildRunConfig({ ...options, command });
      result.status = await runContainer(config, result.relay);
    });
}

function psCommand(result: CommandResult): Command {
  return new Command("ps")
    .description("list running containers")
    .addOption(
      new Option("--format <format>", "output format: table, or json lines")
        .choices(["table", "json"])
        .default("table"),
    )
    .addOption(logLevelOption())
    .action(async (options) => {
      applyLogLevel(options);
      releaseSignals(result);
      requireRoot();
      const { psCommand } = await import("./commands/ps.ts");
      result.status = psCommand(options);
    });
}

function statsCommand(result: CommandResult): Command {
  return new Command("stats")
    .description("show resource usage of running containers")
    .argument("[names...]", "containers to show (default: all running)")
    .option("--no-stream", "print one sample and exit")
    .addOption(
      new Option("--format <format>", "output format").choices([
        "table",
        "json",
      ])
        .default("table"),
    )
    .addOption(logLevelOption())
    .action(async (names: string[], options) => {
      applyLogLevel(options);
      releaseSignals(result);
      requireRoot();
      const { statsCommand } = await import("./commands/stats.ts");
      result.status = await statsCommand(names, options);
    });
}

function rmCommand(result: CommandResult): Command {
  return new Command("rm")
    .description(
      "remove what a killed runtime left of containers (state, cgroups, network)",
    )
    .argument("<names...>", "containers to remove")
    .addOption(logLevelOption())
    .action(async (names: string[], options) => {
      applyLogLevel(options);
      releaseSignals(result);
      const { rmCommand } = await import("./commands/rm.ts");
      result.status = await rmCommand(names);
    });
}

function killCommand(result: CommandResult): Command {
  return new Command("kill")
    .description("send a signal to the PID 1 of running containers")
    .argument("<names...>", "containers to signal")
    .option("-s, --signal <signal>", "signal name or number", "KILL")
    .addOption(logLevelOption())
    .action(async (names: string[], options) => {
      applyLogLevel(options);
      releaseSignals(result);
      const { killCommand } = await import("./commands/kill.ts");
      result.status = await killCommand(names, options.signal);
    });
}

/** The exit status that a command's action sets. */
export interface CommandResult {
  status: number;
  /** Relays signals to a container; commands other than run close it. */
  relay?: SignalRelay;
}

/** Builds the program; exported for tests of argument parsing. */
export function buildProgram(result: CommandResult): Command {
  const program = new Command("tscontainer")
    .description(
      "Run Linux containers: namespaces, pivot_root, cgroups and a veth network",
    )
    .version(VERSION, "-V, --version", "print the version")
    .enablePositionalOptions();
  program.addCommand(runCommand(result), { isDefault: true });
  program.addCommand(psCommand(result));
  program.addCommand(statsCommand(result));
  program.addCommand(rmCommand(result));
  program.addCommand(killCommand(result));
  for (const command of [program, ...program.commands]) {
    command.exitOverride()
      .configureOutput({
        outputError: (text, write) => write(`tscontainer: ${text}`),
      })
      .showHelpAfterError(
        `(run tscontainer ${
          command === program ? "" : command.name() + " "
        }--help for usage)`,
      );
  }
  return program;
}

function reportError(error: unknown): number {
  printError(error);
  return exitCodeOf(error);
}

/** Runs the CLI and returns the exit status. */
export async function main(
  args: string[],
  relay?: SignalRelay,
): Promise<number> {
  const result: CommandResult = { status: 0, relay };
  try {
    await buildProgram(result).parseAsync(args, { from: "user" });
    return result.status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message; help and version exit 0.
      return error.exitCode === 0 ? 0 : EXIT_RUNTIME_ERROR;
    }
    return reportError(error);
  }
}
