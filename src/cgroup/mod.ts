/**
 * The cgroup subsystem: resource limits, the container cgroup, and usage.
 */
export {
  type CgroupOptions,
  ContainerCgroup,
  describeOomKills,
} from "./container_cgroup.ts";
export {
  formatBytes,
  parseCpus,
  parseMemorySize,
  parsePidsLimit,
  type ResourceLimits,
} from "./limits.ts";
export { type CgroupUsage, readCgroupUsage } from "./stats.ts";
