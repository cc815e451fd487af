import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { requireRoot } from "../../src/container/privileges.ts";
import { Teardown } from "../../src/container/teardown.ts";
import { initInvocation } from "../../src/container/spawn_init.ts";
import { RuntimeError } from "../../src/errors.ts";
import { Logger } from "../../src/log.ts";

Deno.test("requireRoot() rejects other users with a hint", () => {
  const error = assertThrows(
    () => requireRoot(1000),
    RuntimeError,
    "must run as root",
  );

  assertEquals(error.exitCode, 125);
  assertEquals(error.hint, "run it with sudo");
});

Deno.test("requireRoot() accepts uid 0", () => {
  requireRoot(0);
});

Deno.test("Teardown runs actions newest first", async () => {
  const order: string[] = [];
  const teardown = new Teardown(new Logger("test"));
  teardown.add("first", () => {
    order.push("first");
  });
  teardown.add("second", async () => {
    await Promise.resolve();
    order.push("second");
  });

  const failures = await teardown.run();

  assertEquals(failures, 0);
  assertEquals(order, ["second", "first"]);
});

Deno.test("Teardown goes on after a failing action", async () => {
  const order: string[] = [];
  const teardown = new Teardown(new Logger("test"));
  teardown.add("first", () => {
    order.push("first");
  });
  teardown.add("broken", () => {
    throw new Error("already gone");
  });

  const failures = await teardown.run();

  assertEquals(failures, 1);
  assertEquals(order, ["first"]);
});

Deno.test("Teardown runs each action once", async () => {
  let runs = 0;
  const teardown = new Teardown(new Logger("test"));
  teardown.add("count", () => {
    runs++;
  });

  await teardown.run();
  await teardown.run();

  assertEquals(runs, 1);
});

Deno.test("initInvocation() re-runs main.ts under deno run", () => {
  const { program, args } = initInvocation(false);

  assertEquals(program, Deno.execPath());
  assertEquals(args[0], "run");
  assertMatch(args.at(-2)!, /\/main\.ts$/);
  assertEquals(args.at(-1), "init");
});

Deno.test("initInvocation() re-runs the executable when compiled", () => {
  assertEquals(initInvocation(true), {
    program: Deno.execPath(),
    args: ["init"],
  });
});
