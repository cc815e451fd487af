import { assertEquals, assertMatch } from "../assert.ts";
import { hostVethNameOf } from "../../src/network/mod.ts";

Deno.test("hostVethNameOf() hashes the name with FNV-1a", () => {
  // Published FNV-1a 32-bit test vectors.
  assertEquals(hostVethNameOf("a"), "tscve40c292c");
  assertEquals(hostVethNameOf("foobar"), "tscvbf9cf968");
});

Deno.test("hostVethNameOf() fits the 15-character limit", () => {
  for (const name of ["x", "web_1.prod", "A".repeat(63)]) {
    const veth = hostVethNameOf(name);

    assertMatch(veth, /^tscv[0-9a-f]{8}$/);
    assertEquals(veth.length <= 15, true);
  }
});
