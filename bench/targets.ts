/** The performance targets and whether a run meets them. */
import type { BenchResults } from "./results.ts";
import { formatMiB, formatRatio } from "./stats.ts";
import type { StartupResult } from "./startup.ts";

export interface TargetCheck {
  id: string;
  target: string;
  measured: string;
  /** Undefined when the run did not measure it. */
  holds?: boolean;
}

/** P3's limit on the runtime's peak RSS, in KiB (40 MiB). */
export const P3_LIMIT_KIB = 40 * 1024;

/** tscontainer's median divided by `peer`'s, both from the same run. */
export function startupRatio(result: StartupResult, peer: string): number {
  const own = result.contenders.find((c) => c.label === "tscontainer");
  const other = result.contenders.find((c) => c.label === peer);
  if (!own || !other) return NaN;
  return own.summary.median / other.summary.median;
}

function checkRatio(
  id: string,
  target: string,
  ratio: number,
  limit: number,
  atMost: boolean,
): TargetCheck {
  if (!Number.isFinite(ratio)) return { id, target, measured: "not measured" };
  const holds = atMost ? ratio <= limit : ratio >= limit;
  return { id, target, measured: formatRatio(ratio), holds };
}

function p4Checks(results: BenchResults): TargetCheck[] {
  const groups = results.P4 ?? [];
  const find = (label: string, count: number) =>
    groups.find((group) => group.label === label && group.count === count);
  const own20 = find("tscontainer", 20);
  const podman20 = find("podman", 20);
  const own50 = find("tscontainer", 50);
  const checks: TargetCheck[] = [];

  const target20 =
    "20 at once ≤ 0.5× podman's time for 20, no failure, no address collision";
  if (own20 && podman20) {
    const ratio = own20.medianWallMs / podman20.medianWallMs;
    checks.push({
      id: "P4",
      target: target20,
      measured: `${
        formatRatio(ratio)
      }, ${own20.failures} failures, ${own20.collisions} collisions`,
      holds: ratio <= 0.5 && own20.failures === 0 && own20.collisions === 0,
    });
  } else {
    checks.push({ id: "P4", target: target20, measured: "not measured" });
  }
  const target50 = "50 at once with no failure";
  checks.push(
    own50
      ? {
        id: "P4",
        target: target50,
        measured: `${own50.failures} failures, ${own50.collisions} collisions`,
        holds: own50.failures === 0 && own50.collisions === 0,
      }
      : { id: "P4", target: target50, measured: "not measured" },
  );
  return checks;
}

/** Checks every target against the run's results. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const p1 = results.P1 ? startupRatio(results.P1, "runc") : NaN;
  const p2 = results.P2 ? startupRatio(results.P2, "podman") : NaN;
  const p3 = results.P3?.find((r) => r.label === "tscontainer")?.medianKiB;
  const p5 = results.P5
    ? results.P5.medianContainer / results.P5.medianLoopback
    : NaN;
  const checks = [
    checkRatio("P1", "start-up ≤ 1.5× runc", p1, 1.5, true),
    checkRatio("P1", "stretch: start-up ≤ 1.0× runc", p1, 1.0, true),
    checkRatio("P2", "bridged start-up ≤ 0.25× podman", p2, 0.25, true),
    p3 !== undefined && Number.isFinite(p3)
      ? {
        id: "P3",
        target: "runtime peak RSS ≤ 40 MiB",
        measured: formatMiB(p3),
        holds: p3 <= P3_LIMIT_KIB,
      }
      : {
        id: "P3",
        target: "runtime peak RSS ≤ 40 MiB",
        measured: "not measured",
      },
    ...p4Checks(results),
    checkRatio(
      "P5",
      "throughput to the container ≥ 0.9× loopback",
      p5,
      0.9,
      false,
    ),
  ];
  return checks;
}
