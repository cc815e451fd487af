/**
 * tscontainer: a Linux container runtime for Deno.
 *
 * The hidden `init` command is the init stage, which the runtime starts as
 * PID 1 of a new PID namespace. It is dispatched before the CLI module is
 * loaded, so the container's start does not pay for argument parsing.
 */
if (Deno.args[0] === "init") {
  const { runInit } = await import("./src/init/main.ts");
  runInit();
} else {
  // Installed first, so that a signal sent while the CLI loads is relayed to
  // the container once it runs instead of killing the runtime mid-setup.
  const { disableInspectorSignal, SignalRelay } = await import(
    "./src/container/signals.ts"
  );
  disableInspectorSignal();
  const relay = new SignalRelay();
  const { main } = await import("./src/cli.ts");
  Deno.exit(await main(Deno.args, relay));
}
