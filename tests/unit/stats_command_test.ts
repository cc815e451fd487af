import { assertEquals } from "../assert.ts";
import {
  buildRow,
  formatStatsJson,
  formatStatsTable,
  type StatsRow,
  type UsageSample,
} from "../../src/commands/stats.ts";

const MiB = 1024 * 1024;
const HOST_MEMORY = 16 * 1024 * MiB;

function sample(cpuUsageNs: number, takenMs: number): UsageSample {
  return {
    usage: {
      memoryUsageBytes: 16 * MiB,
      memoryLimitBytes: 64 * MiB,
      cpuUsageNs,
      pids: 3,
      pidsLimit: 20,
    },
    takenMs,
  };
}

Deno.test("buildRow() measures CPU over the interval", () => {
  const row = buildRow("web", sample(1e9, 0), sample(1.5e9, 1000), HOST_MEMORY);

  assertEquals(row, {
    name: "web",
    cpuPercent: 50,
    memoryUsageBytes: 16 * MiB,
    memoryLimitBytes: 64 * MiB,
    memoryPercent: 25,
    pids: 3,
    pidsLimit: 20,
  });
});

Deno.test("buildRow() counts CPUs above 100%", () => {
  const row = buildRow("web", sample(0, 0), sample(2e9, 1000), HOST_MEMORY);

  assertEquals(row.cpuPercent, 200);
});

Deno.test("buildRow() uses host memory without a limit", () => {
  const after = sample(0, 1000);
  after.usage.memoryLimitBytes = undefined;
  after.usage.pidsLimit = undefined;

  const row = buildRow("web", sample(0, 0), after, HOST_MEMORY);

  assertEquals(row.memoryLimitBytes, HOST_MEMORY);
  assertEquals(row.memoryPercent, 100 / 1024);
  assertEquals(row.pidsLimit, null);
});

Deno.test("buildRow() returns 0% for an empty interval", () => {
  const row = buildRow("web", sample(5, 1000), sample(5, 1000), HOST_MEMORY);

  assertEquals(row.cpuPercent, 0);
});

const ROWS: StatsRow[] = [
  {
    name: "web",
    cpuPercent: 49.876,
    memoryUsageBytes: 12 * MiB,
    memoryLimitBytes: 64 * MiB,
    memoryPercent: 18.75,
    pids: 3,
    pidsLimit: 20,
  },
  {
    name: "database-1",
    cpuPercent: 0,
    memoryUsageBytes: 96 * 1024,
    memoryLimitBytes: HOST_MEMORY,
    memoryPercent: 0.0006,
    pids: 1,
    pidsLimit: null,
  },
];

Deno.test("formatStatsTable() aligns the columns", () => {
  assertEquals(
    formatStatsTable(ROWS).split("\n"),
    [
      "NAME         CPU %    MEM USAGE / LIMIT   MEM %    PIDS / LIMIT",
      "web          49.88%   12 MiB / 64 MiB     18.75%   3 / 20",
      "database-1   0.00%    96 KiB / 16 GiB     0.00%    1 / max",
    ],
  );
});

Deno.test("formatStatsTable() prints a header alone", () => {
  assertEquals(
    formatStatsTable([]),
    "NAME   CPU %   MEM USAGE / LIMIT   MEM %   PIDS / LIMIT",
  );
});

Deno.test("formatStatsJson() prints one object a line", () => {
  const lines = formatStatsJson(ROWS).split("\n");

  assertEquals(lines.length, 2);
  assertEquals(JSON.parse(lines[0]), ROWS[0]);
  assertEquals(JSON.parse(lines[1]).pidsLimit, null);
});
