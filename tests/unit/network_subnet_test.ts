import assert from "node:assert/strict";
import { assertThrows } from "../assert.ts";
import { UsageError } from "../../src/errors.ts";
import {
  broadcastOf,
  contains,
  DEFAULT_SUBNET,
  formatIpv4,
  formatSubnet,
  gatewayOf,
  netmaskOf,
  overlaps,
  parseCidr,
  parseIpv4,
  parseSubnet,
  sizeOf,
} from "../../src/network/subnet.ts";

function cidr(text: string) {
  return parseCidr(text, "test");
}

Deno.test("parseIpv4() parses dotted decimal", () => {
  assert.equal(parseIpv4("10.77.0.2"), 0x0a4d0002);
  assert.equal(parseIpv4("0.0.0.0"), 0);
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
});

Deno.test("parseIpv4() rejects malformed text", () => {
  for (
    const text of [
      "",
      "10.0.0",
      "10.0.0.0.1",
      "10.0.0.256",
      "10.0.0.-1",
      "10.0.0.01",
      "10..0.1",
      "a.b.c.d",
      " 10.0.0.1",
    ]
  ) {
    assert.equal(parseIpv4(text), undefined, text);
  }
});

Deno.test("formatIpv4() reverses parseIpv4()", () => {
  for (const text of ["10.77.0.2", "0.0.0.0", "255.255.255.255", "1.2.3.4"]) {
    assert.equal(formatIpv4(parseIpv4(text)!), text);
  }
});

Deno.test("netmaskOf() covers prefix lengths 0 to 32", () => {
  assert.equal(netmaskOf(0), 0);
  assert.equal(netmaskOf(8), 0xff000000);
  assert.equal(netmaskOf(16), 0xffff0000);
  assert.equal(netmaskOf(30), 0xfffffffc);
  assert.equal(netmaskOf(32), 0xffffffff);
});

Deno.test("gatewayOf() and broadcastOf() bound a /16", () => {
  const subnet = cidr("10.77.0.0/16");

  assert.equal(formatIpv4(gatewayOf(subnet)), "10.77.0.1");
  assert.equal(formatIpv4(broadcastOf(subnet)), "10.77.255.255");
  assert.equal(sizeOf(subnet), 65536);
});

Deno.test("contains() tests membership at the edges", () => {
  const subnet = cidr("10.77.0.0/16");

  assert.equal(contains(subnet, parseIpv4("10.77.0.0")!), true);
  assert.equal(contains(subnet, parseIpv4("10.77.255.255")!), true);
  assert.equal(contains(subnet, parseIpv4("10.76.255.255")!), false);
  assert.equal(contains(subnet, parseIpv4("10.78.0.0")!), false);
});

Deno.test("overlaps() detects nesting and disjoint ranges", () => {
  assert.equal(overlaps(cidr("10.0.0.0/8"), cidr("10.77.0.0/16")), true);
  assert.equal(overlaps(cidr("10.77.0.0/16"), cidr("10.0.0.0/8")), true);
  assert.equal(overlaps(cidr("10.77.0.0/16"), cidr("10.77.3.0/24")), true);
  assert.equal(overlaps(cidr("10.77.0.0/16"), cidr("10.78.0.0/16")), false);
});

Deno.test("parseCidr() rejects set host bits with a hint", () => {
  const error = assertThrows(
    () => parseCidr("10.77.0.1/16", "--subnet"),
    UsageError,
  );

  assert.match(error.message, /--subnet "10\.77\.0\.1\/16": host bits are set/);
  assert.equal(error.hint, "did you mean 10.77.0.0/16?");
});

Deno.test("parseCidr() rejects malformed text", () => {
  for (
    const text of [
      "10.77.0.0",
      "10.77.0.0/",
      "10.77.0.0/33",
      "10.77.0/16",
      "x/8",
    ]
  ) {
    assert.throws(() => parseCidr(text, "--subnet"), UsageError, text);
  }
});

Deno.test("parseSubnet() accepts prefix lengths 8 to 30", () => {
  assert.equal(
    formatSubnet(parseSubnet("10.0.0.0/8", "--subnet")),
    "10.0.0.0/8",
  );
  assert.equal(
    formatSubnet(parseSubnet("192.168.5.0/30", "--subnet")),
    "192.168.5.0/30",
  );
});

Deno.test("parseSubnet() rejects prefix lengths outside 8 to 30", () => {
  for (const text of ["10.0.0.0/7", "10.0.0.0/31", "10.0.0.0/32"]) {
    assert.throws(
      () => parseSubnet(text, "--subnet"),
      /the prefix length must be from 8 to 30/,
      text,
    );
  }
});

Deno.test("parseSubnet() rejects reserved ranges", () => {
  const cases = [
    ["127.1.0.0/16", "loopback"],
    ["169.254.0.0/16", "link-local"],
    ["224.1.0.0/16", "multicast"],
    ["0.0.0.0/8", '"this" network'],
  ];
  for (const [text, use] of cases) {
    const error = assertThrows(
      () => parseSubnet(text, "TSC_SUBNET"),
      UsageError,
    );

    assert.match(error.message, new RegExp(`TSC_SUBNET .*overlaps the ${use}`));
  }
});

Deno.test("DEFAULT_SUBNET avoids podman's and docker's defaults", () => {
  const subnet = parseSubnet(DEFAULT_SUBNET, "default subnet");

  assert.equal(subnet.prefixLength, 16);
  assert.equal(contains(cidr("10.0.0.0/8"), subnet.network), true);
  for (const other of ["10.88.0.0/16", "10.89.0.0/16", "172.17.0.0/16"]) {
    assert.equal(overlaps(subnet, cidr(other)), false, other);
  }
});
