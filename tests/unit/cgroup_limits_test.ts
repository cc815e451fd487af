import { assertEquals, assertThrows } from "../assert.ts";
import { EXIT_RUNTIME_ERROR, UsageError } from "../../src/errors.ts";
import {
  cpuQuotaUs,
  formatBytes,
  parseCpus,
  parseMemorySize,
  parsePidsLimit,
} from "../../src/cgroup/limits.ts";
import { describeOomKills } from "../../src/cgroup/container_cgroup.ts";

const MiB = 1024 * 1024;

Deno.test("parseMemorySize() accepts docker units", () => {
  const cases: [string, number][] = [
    ["64m", 64 * MiB],
    ["64M", 64 * MiB],
    ["64mb", 64 * MiB],
    ["64MiB", 64 * MiB],
    ["6m", 6 * MiB],
    ["8192k", 8 * MiB],
    ["1g", 1024 * MiB],
    ["1.5g", 1536 * MiB],
    ["67108864", 64 * MiB],
    ["67108864b", 64 * MiB],
    [" 64m ", 64 * MiB],
  ];
  for (const [text, bytes] of cases) {
    assertEquals(parseMemorySize(text), bytes, text);
  }
});

Deno.test("parseMemorySize() rounds fractions down to bytes", () => {
  assertEquals(parseMemorySize("6.0000001m"), 6 * MiB);
});

Deno.test("parseMemorySize() rejects malformed sizes", () => {
  for (const text of ["", "m", "64x", "64 m", "0x40m", "64mm", "1e9", "abc"]) {
    const error = assertThrows(
      () => parseMemorySize(text),
      UsageError,
      `invalid memory size ${JSON.stringify(text)}`,
    );
    assertEquals(error.hint?.includes("such as 64m"), true, text);
  }
});

Deno.test("parseMemorySize() rejects negative sizes", () => {
  const error = assertThrows(
    () => parseMemorySize("-64m"),
    UsageError,
    "it is negative",
  );
  assertEquals(error.exitCode, EXIT_RUNTIME_ERROR);
});

Deno.test("parseMemorySize() rejects zero", () => {
  assertThrows(() => parseMemorySize("0"), UsageError, "it is zero");
  assertThrows(() => parseMemorySize("0m"), UsageError, "it is zero");
});

Deno.test("parseMemorySize() rejects sizes below 6 MiB", () => {
  for (const text of ["5m", "6291455", "1k"]) {
    assertThrows(
      () => parseMemorySize(text),
      UsageError,
      "below the minimum of 6 MiB: a shell cannot start in less",
    );
  }
});

Deno.test("parseMemorySize() rejects sizes too large", () => {
  assertThrows(
    () => parseMemorySize("99999999999g"),
    UsageError,
    "it is too large",
  );
});

Deno.test("parseCpus() accepts decimal CPU counts", () => {
  assertEquals(parseCpus("0.5", 2), 0.5);
  assertEquals(parseCpus(".5", 2), 0.5);
  assertEquals(parseCpus("2", 2), 2);
  assertEquals(parseCpus("1.", 2), 1);
  assertEquals(parseCpus("0.01", 2), 0.01);
});

Deno.test("parseCpus() rejects malformed counts", () => {
  for (const text of ["", "half", "0,5", "1e0", "0x1", "1/2"]) {
    assertThrows(
      () => parseCpus(text, 2),
      UsageError,
      `invalid CPU count ${JSON.stringify(text)}`,
    );
  }
});

Deno.test("parseCpus() rejects zero and negative counts", () => {
  assertThrows(() => parseCpus("0", 2), UsageError, "it is zero");
  assertThrows(() => parseCpus("0.0", 2), UsageError, "it is zero");
  const error = assertThrows(
    () => parseCpus("-1", 2),
    UsageError,
    'invalid CPU count "-1"',
  );
  assertEquals(error.hint?.includes("greater than 0"), true);
});

Deno.test("parseCpus() rejects more than the online CPUs", () => {
  const error = assertThrows(
    () => parseCpus("3", 2),
    UsageError,
    "this machine has 2 CPUs online",
  );
  assertEquals(error.hint?.includes("at most 2"), true);
});

Deno.test("parseCpus() defaults to the CPUs this process sees", () => {
  const online = navigator.hardwareConcurrency;
  assertEquals(parseCpus(String(online)), online);
  assertThrows(
    () => parseCpus(String(online + 1)),
    UsageError,
    `has ${online} CPUs online`,
  );
});

Deno.test("parseCpus() rejects counts below the minimum quota", () => {
  assertThrows(
    () => parseCpus("0.001", 2),
    UsageError,
    "below 0.01, the kernel's minimum CFS quota",
  );
});

Deno.test("cpuQuotaUs() converts CPUs to a quota per 100 ms", () => {
  assertEquals(cpuQuotaUs(0.5), 50_000);
  assertEquals(cpuQuotaUs(1.5), 150_000);
  assertEquals(cpuQuotaUs(0.01), 1_000);
});

Deno.test("parsePidsLimit() accepts positive integers", () => {
  assertEquals(parsePidsLimit("1"), 1);
  assertEquals(parsePidsLimit("20"), 20);
  assertEquals(parsePidsLimit("4194304"), 4_194_304);
});

Deno.test("parsePidsLimit() rejects zero and negative limits", () => {
  for (const text of ["0", "-1", "-20"]) {
    assertThrows(
      () => parsePidsLimit(text),
      UsageError,
      `invalid pids limit ${JSON.stringify(text)}: it must be at least 1`,
    );
  }
});

Deno.test("parsePidsLimit() rejects malformed limits", () => {
  for (const text of ["", "max", "1.5", "20k", "0x10"]) {
    assertThrows(
      () => parsePidsLimit(text),
      UsageError,
      `invalid pids limit ${JSON.stringify(text)}`,
    );
  }
});

Deno.test("parsePidsLimit() rejects limits above the kernel's", () => {
  assertThrows(
    () => parsePidsLimit("4194305"),
    UsageError,
    "above the kernel's maximum of 4194304",
  );
});

Deno.test("formatBytes() picks a 1024-based unit", () => {
  assertEquals(formatBytes(0), "0 B");
  assertEquals(formatBytes(1023), "1023 B");
  assertEquals(formatBytes(96 * 1024), "96 KiB");
  assertEquals(formatBytes(64 * MiB), "64 MiB");
  assertEquals(formatBytes(1536 * MiB), "1.5 GiB");
});

Deno.test("describeOomKills() names the count and limit", () => {
  assertEquals(
    describeOomKills(1, 64 * MiB),
    "the kernel's OOM killer killed 1 process at the memory limit of 64 MiB",
  );
  assertEquals(
    describeOomKills(3, 64 * MiB),
    "the kernel's OOM killer killed 3 processes at the memory limit of 64 MiB",
  );
});

Deno.test("describeOomKills() explains kills without a limit", () => {
  assertEquals(
    describeOomKills(1),
    "the kernel's OOM killer killed 1 process of the container, which has no memory limit: the host or a parent cgroup ran out of memory",
  );
});
