import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import {
  generateName,
  hostnameFromName,
  NAME_PATTERN,
  validateHostname,
  validateName,
} from "../../src/container/names.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("validateName() accepts docker-style names", () => {
  for (const name of ["web", "a", "web_1.prod-2", "A".repeat(63)]) {
    assertEquals(validateName(name), name);
  }
});

Deno.test("validateName() rejects bad names", () => {
  for (const name of ["", "-web", ".web", "we b", "web/1", "A".repeat(64)]) {
    assertThrows(
      () => validateName(name),
      UsageError,
      "invalid container name",
    );
  }
});

Deno.test("validateHostname() accepts RFC 1123 names", () => {
  for (const hostname of ["h1", "web-1", "a.b.c", "x".repeat(63), "1abc"]) {
    assertEquals(validateHostname(hostname), hostname);
  }
});

Deno.test("validateHostname() rejects empty names", () => {
  assertThrows(() => validateHostname(""), UsageError, "it is empty");
});

Deno.test("validateHostname() rejects names over 64 bytes", () => {
  const hostname = "a".repeat(40) + "." + "b".repeat(24);

  assertThrows(
    () => validateHostname(hostname),
    UsageError,
    "65 bytes is longer than the maximum of 64",
  );
});

Deno.test("validateHostname() rejects bad labels", () => {
  for (const hostname of ["-h", "h-", "a..b", "h_1", "h!", "x".repeat(64)]) {
    assertThrows(
      () => validateHostname(hostname),
      UsageError,
      "breaks the RFC 1123 rules",
    );
  }
});

Deno.test("hostnameFromName() yields valid hostnames", () => {
  assertEquals(hostnameFromName("web_1.prod"), "web-1-prod");
  assertEquals(hostnameFromName("a__"), "a");
  for (const name of ["x_", "A".repeat(63), "z.-_9"]) {
    assertEquals(
      validateHostname(hostnameFromName(name)),
      hostnameFromName(name),
    );
  }
});

Deno.test("generateName() yields valid, distinct names", () => {
  const names = new Set(Array.from({ length: 50 }, generateName));

  assert(names.size > 40, `only ${names.size} distinct names`);
  for (const name of names) {
    assertMatch(name, NAME_PATTERN);
    validateHostname(name);
  }
});
