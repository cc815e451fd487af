/** The scenarios in the order the demo runs them. */
import type { Scenario } from "../runner.ts";
import { cleanup } from "./cleanup.ts";
import { cpu } from "./cpu.ts";
import { isolation } from "./isolation.ts";
import { memory } from "./memory.ts";
import { network } from "./network.ts";
import { pids } from "./pids.ts";
import { twoContainers } from "./two_containers.ts";

/** Cleanup comes last, so that it checks every container the run started. */
export const SCENARIOS: Scenario[] = [
  isolation,
  network,
  memory,
  cpu,
  pids,
  twoContainers,
  cleanup,
];
