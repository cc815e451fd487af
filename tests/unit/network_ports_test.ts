import assert from "node:assert/strict";
import { assertThrows } from "../assert.ts";
import { UsageError } from "../../src/errors.ts";
import {
  checkPortConflicts,
  formatPortMapping,
  parsePortMapping,
} from "../../src/network/ports.ts";

Deno.test("parsePortMapping() parses HOSTPORT:CONTAINERPORT", () => {
  assert.deepEqual(parsePortMapping("8080:80"), {
    hostPort: 8080,
    containerPort: 80,
  });
});

Deno.test("parsePortMapping() parses a host address", () => {
  assert.deepEqual(parsePortMapping("127.0.0.1:8080:80"), {
    hostPort: 8080,
    containerPort: 80,
    hostIp: "127.0.0.1",
  });
});

Deno.test("parsePortMapping() accepts a /tcp suffix", () => {
  assert.deepEqual(parsePortMapping("1:65535/tcp"), {
    hostPort: 1,
    containerPort: 65535,
  });
  assert.deepEqual(parsePortMapping("0.0.0.0:7000:7000/tcp"), {
    hostPort: 7000,
    containerPort: 7000,
    hostIp: "0.0.0.0",
  });
});

Deno.test("parsePortMapping() rejects UDP", () => {
  const error = assertThrows(() => parsePortMapping("53:53/udp"), UsageError);

  assert.equal(
    error.message,
    'invalid -p "53:53/udp": UDP is not supported, only TCP',
  );
  assert.equal(error.exitCode, 125);
});

Deno.test("parsePortMapping() rejects unknown protocols", () => {
  const error = assertThrows(() => parsePortMapping("80:80/sctp"), UsageError);

  assert.match(error.message, /unknown protocol "sctp", expected tcp/);
});

Deno.test("parsePortMapping() rejects malformed values", () => {
  for (const text of ["8080", "", ":", "1:2:3:4", "a:b:80:80", "8080:80/"]) {
    const error = assertThrows(() => parsePortMapping(text), UsageError);

    assert.ok(error.message.includes(JSON.stringify(text)), error.message);
  }
});

Deno.test("parsePortMapping() rejects ports outside 1 to 65535", () => {
  const cases = [
    ["0:80", 'host port "0"'],
    ["65536:80", 'host port "65536"'],
    ["8080:0", 'container port "0"'],
    ["8080:100000", 'container port "100000"'],
    ["-1:80", 'host port "-1"'],
    ["8080:8o", 'container port "8o"'],
    ["8080:", 'container port ""'],
    [" 80:80", 'host port " 80"'],
  ];
  for (const [text, detail] of cases) {
    const error = assertThrows(() => parsePortMapping(text), UsageError);

    assert.equal(
      error.message,
      `invalid -p ${JSON.stringify(text)}: ${detail} is not a port number ` +
        "from 1 to 65535",
    );
  }
});

Deno.test("parsePortMapping() rejects a host address that is not IPv4", () => {
  for (const text of ["localhost:80:80", "10.0.0.300:80:80", "::1:80:80"]) {
    const error = assertThrows(() => parsePortMapping(text), UsageError);

    assert.ok(error.message.startsWith(`invalid -p ${JSON.stringify(text)}`));
  }
});

Deno.test("formatPortMapping() renders the -p form", () => {
  assert.equal(formatPortMapping({ hostPort: 1, containerPort: 2 }), "1:2");
  assert.equal(
    formatPortMapping({ hostPort: 1, containerPort: 2, hostIp: "127.0.0.1" }),
    "127.0.0.1:1:2",
  );
});

Deno.test("checkPortConflicts() accepts distinct listen addresses", () => {
  checkPortConflicts([
    { hostPort: 8080, containerPort: 80 },
    { hostPort: 8081, containerPort: 80 },
    { hostPort: 9000, containerPort: 1, hostIp: "127.0.0.1" },
    { hostPort: 9000, containerPort: 2, hostIp: "127.0.0.2" },
  ]);
});

Deno.test("checkPortConflicts() rejects a host port used twice", () => {
  const cases = [
    [undefined, undefined],
    ["127.0.0.1", "127.0.0.1"],
    [undefined, "127.0.0.1"],
    ["0.0.0.0", "127.0.0.1"],
  ];
  for (const [first, second] of cases) {
    const mappings = [
      { hostPort: 8080, containerPort: 80, hostIp: first },
      { hostPort: 8080, containerPort: 81, hostIp: second },
    ];

    const error = assertThrows(() => checkPortConflicts(mappings), UsageError);

    assert.match(error.message, /both use host port 8080/);
  }
});
