/**
 * `deno task compile`: builds ./tscontainer with `deno compile`. Where
 * `deno compile` cannot download its `denort` runtime (machines without
 * access to dl.deno.land), it writes an executable launcher that runs
 * main.ts with the installed Deno instead, so `./tscontainer` works either way.
 */
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const OUTPUT = `${REPO}tscontainer`;
const MAIN = `${REPO}main.ts`;

const encoder = new TextEncoder();
const print = (line: string) =>
  Deno.stderr.writeSync(encoder.encode(line + "\n"));

/**
 * Installs the npm dependencies into ./node_modules, so that the launcher
 * finds them for any user. Root, through sudo, has its own Deno cache.
 */
async function installDependencies(): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["install"],
    cwd: REPO,
    stdout: "null",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  if (!result.success) {
    print(
      `deno install failed: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
    Deno.exit(1);
  }
}

async function compile(): Promise<{ ok: boolean; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--allow-all", "--output", OUTPUT, MAIN],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  return { ok: result.success, output };
}

function writeLauncher(): void {
  const script = [
    "#!/bin/sh",
    "# Launcher written by `deno task compile` because `deno compile` could not",
    "# download its runtime here. It runs the runtime's source with Deno.",
    `exec ${
      JSON.stringify(Deno.execPath())
    } run --allow-all --no-prompt --cached-only ${JSON.stringify(MAIN)} "$@"`,
    "",
  ].join("\n");
  Deno.writeTextFileSync(OUTPUT, script, { mode: 0o755 });
  Deno.chmodSync(OUTPUT, 0o755);
}

// deno compile does not overwrite a file that is not its own output, such
// as a launcher from an earlier run.
await Deno.remove(OUTPUT).catch((error) => {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
});
await installDependencies();
const result = await compile();
if (result.ok) {
  print(`compiled ${OUTPUT}`);
} else {
  const reason = /denort/i.test(result.output)
    ? "it could not download its denort runtime"
    : result.output.split("\n").find((line) => /error/i.test(line))?.trim() ??
      "it failed";
  print(
    `deno compile failed (${reason}); wrote ${OUTPUT} as a launcher that runs main.ts with ${Deno.execPath()}`,
  );
  writeLauncher();
}
