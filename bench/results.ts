/** Everything a bench run measured, as the report renders it. */
import type { AnatomyResult } from "./anatomy.ts";
import type { CleanupReport } from "./cleanup.ts";
import type { ConcurrencyResult } from "./concurrency.ts";
import type { MachineInfo } from "./machine.ts";
import type { MemoryResult } from "./memory.ts";
import type { BenchId, BenchOptions } from "./options.ts";
import type { StartupResult } from "./startup.ts";
import type { ThroughputResult } from "./throughput.ts";
import type { TimelineResult } from "./timeline.ts";

export interface BenchResults {
  options: BenchOptions;
  machine: MachineInfo;
  P1?: StartupResult;
  P2?: StartupResult;
  P3?: MemoryResult[];
  P4?: ConcurrencyResult[];
  P5?: ThroughputResult;
  timeline?: TimelineResult[];
  anatomy?: AnatomyResult;
  /** Benchmarks that failed as a whole, with the error. */
  errors: Partial<Record<BenchId, string>>;
  cleanup?: CleanupReport;
  durationSeconds: number;
  loadAtEnd: string;
}
