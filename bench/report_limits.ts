/**
 * The report's account of what limits the start-up, memory and concurrency
 * targets. It names mechanisms and points at the measured tables, so that
 * its words stay true when the numbers change from run to run.
 */

/** Renders the section on what bounds the targets that do not hold. */
export function renderLimits(): string {
  return [
    "## What limits the targets",
    "",
    "- **Two Deno processes per start (P1, P2).** The runtime and the init",
    "  stage are each a Deno process, and an empty `deno run` alone takes",
    "  about as long as a whole `runc run` (see Probes). The runtime starts",
    "  the init stage right after it reserves the name, so the init stage's",
    "  boot overlaps the host setup; the rows of the start-up timeline show",
    "  which of the two ends last.",
    "- **The argument parser (P1 to P4).** The CLI uses commander, a CommonJS",
    "  package, and loading it starts Deno's Node.js compatibility layer:",
    "  `commander` and the first `node:` module lead the module table of the",
    "  runtime. An ES-module parser tried instead, Optique 1.3.6, loaded",
    "  more slowly still in a probe on the build machine.",
    "- **Memory (P3).** Deno with nothing loaded already holds most of the",
    "  40 MiB target (see the reference rows), and the runtime's modules,",
    "  mostly commander, add the rest.",
    "- **CPU per start (P4).** Twenty starts on two CPUs are bound by CPU",
    "  time per start (see the hyperfine CPU columns), which the two Deno",
    "  boots and the module loading dominate.",
    "- **Bridge teardown (P2).** Deleting the host end of the veth pair waits",
    "  in the kernel (the `remove network` step); deleting only the network",
    "  namespace frees the pair later and no sooner in total.",
    "- **Cgroup join.** On cgroup v1 the init stage joins through `tasks`,",
    "  which skips the RCU grace period that a write to `cgroup.procs` waits",
    "  for (see the cgroup probe under Probes). On cgroup v2 the join must",
    "  use `cgroup.procs` and pays that wait.",
  ].join("\n");
}
