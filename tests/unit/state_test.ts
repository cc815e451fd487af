import { assertEquals, assertThrows } from "../assert.ts";
import { RuntimeError } from "../../src/errors.ts";
import { readState } from "../../src/state/store.ts";
import { forEachContainer } from "../../src/commands/each.ts";

Deno.test("readState() rejects names that are not container names", () => {
  for (const name of ["../../tmp/x", ".lock", "a/b", ""]) {
    assertThrows(() => readState(name), RuntimeError, "no such container");
  }
});

Deno.test("forEachContainer() goes on after a failure", async () => {
  const handled: string[] = [];

  const status = await forEachContainer(["a", "b", "c"], (name) => {
    handled.push(name);
    if (name === "b") throw new RuntimeError("b failed");
  });

  assertEquals(handled, ["a", "b", "c"]);
  assertEquals(status, 125);
});

Deno.test("forEachContainer() returns 0 when all succeed", async () => {
  const status = await forEachContainer(["a", "b"], () => {});

  assertEquals(status, 0);
});
