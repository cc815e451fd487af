import { assertEquals, assertThrows } from "../assert.ts";
import { parseSignal } from "../../src/commands/kill.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseSignal() accepts names, SIG names and numbers", () => {
  assertEquals(parseSignal("KILL"), "SIGKILL");
  assertEquals(parseSignal("sigterm"), "SIGTERM");
  assertEquals(parseSignal("15"), "SIGTERM");
});

Deno.test("parseSignal() rejects unknown signals", () => {
  for (const text of ["FOO", "0", "99", ""]) {
    assertThrows(() => parseSignal(text), UsageError, "invalid signal");
  }
});
