/** The CLI's argument handling, run as a subprocess; none of it needs root. */
import { assertEquals, assertMatch } from "../assert.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function cli(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("--help lists the commands and exits 0", async () => {
  const result = await cli(["--help"]);

  assertEquals(result.code, 0);
  assertMatch(result.stdout, /run \[options\] \[command\.\.\.\]/);
  assertMatch(result.stdout, /stats/);
});

Deno.test("run --help documents the limits", async () => {
  const result = await cli(["run", "--help"]);

  assertEquals(result.code, 0);
  for (
    const option of [
      "--rootfs",
      "--memory",
      "--cpus",
      "--pids-limit",
      "--publish",
    ]
  ) {
    assertMatch(result.stdout, new RegExp(option));
  }
});

Deno.test("unknown flag exits 125 with a usage hint", async () => {
  const result = await cli(["--rootfs", "x", "--bogus"]);

  assertEquals(result.code, 125);
  assertMatch(result.stderr, /unknown option '--bogus'/);
  assertMatch(result.stderr, /run tscontainer run --help for usage/);
});

Deno.test("bad --log-level exits 125 naming the choices", async () => {
  const result = await cli(["run", "--log-level", "loud", "--rootfs", "x"]);

  assertEquals(result.code, 125);
  assertMatch(result.stderr, /Allowed choices are error, warn, info, debug/);
});

Deno.test("bad --memory exits 125 before any setup", async () => {
  const result = await cli([
    "run",
    "--rootfs",
    "/nonexistent",
    "--memory",
    "lots",
  ]);

  assertEquals(result.code, 125);
  assertMatch(result.stderr, /"lots"/);
  assertMatch(result.stderr, /hint: /);
});
