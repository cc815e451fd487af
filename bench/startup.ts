/**
 * P1 and P2: wall time from start to exit of `/bin/true` in a container,
 * tscontainer against its peers, interleaved, with hyperfine as a
 * cross-check.
 */
import type { BenchContext } from "./context.ts";
import { containerName, NAME_PREFIX, tscontainerArgv } from "./context.ts";
import { runHyperfine } from "./hyperfine.ts";
import type { HyperfineCommand, HyperfineRow } from "./hyperfine.ts";
import { runInterleaved } from "./interleave.ts";
import type { Contender, ContenderResult } from "./interleave.ts";
import {
  bwrapArgv,
  MEMORY_LIMIT,
  podmanArgv,
  prepareRuncBundle,
  runcArgv,
  unshareArgv,
} from "./peer_commands.ts";
import { hasPeer } from "./peers.ts";
import type { PeerName } from "./peers.ts";
import { ensurePodmanBridge, podmanRootfs } from "./podman.ts";
import { progress } from "./progress.ts";

const TRUE = ["/bin/true"];

export interface StartupResult {
  contenders: ContenderResult[];
  /** Peers left out, with the reason and how to install them. */
  skipped: string[];
  hyperfine?: { argv: string[]; rows: HyperfineRow[] };
  hyperfineError?: string;
}

function skipReason(context: BenchContext, name: PeerName): string {
  const peer = context.peers[name];
  return `${name}: ${peer.missing} (install: ${peer.install})`;
}

function tscontainerContender(
  context: BenchContext,
  network: "none" | "bridge",
  tag: string,
): Contender {
  return {
    label: "tscontainer",
    argv: () =>
      tscontainerArgv(context, {
        name: containerName(context, tag),
        network,
        memory: MEMORY_LIMIT,
        command: TRUE,
      }),
  };
}

function runcContender(context: BenchContext, bundle: string): Contender {
  return {
    label: "runc",
    argv: (round) => {
      const id = `${NAME_PREFIX}-p1-${round}`;
      context.cleanup.trackRunc(id);
      return runcArgv(context, bundle, id);
    },
  };
}

async function crossCheck(
  context: BenchContext,
  tag: string,
  commands: HyperfineCommand[],
  result: StartupResult,
): Promise<void> {
  if (!hasPeer(context.peers, "hyperfine")) {
    result.skipped.push(skipReason(context, "hyperfine"));
    return;
  }
  progress(`${tag}: hyperfine cross-check`);
  const { counts } = context.options;
  try {
    result.hyperfine = await runHyperfine(context, tag, commands, {
      runs: counts.startups,
      warmups: counts.warmups,
    });
  } catch (error) {
    result.hyperfineError = error instanceof Error
      ? error.message
      : String(error);
  }
}

/** Returns a fixed-name tscontainer command, repeatable under hyperfine. */
function fixedTscontainer(
  context: BenchContext,
  network: "none" | "bridge",
  tag: string,
): HyperfineCommand {
  const name = `${NAME_PREFIX}-hf-${tag}`;
  context.cleanup.trackTscontainer(name);
  return {
    label: "tscontainer",
    argv: tscontainerArgv(context, {
      name,
      network,
      memory: MEMORY_LIMIT,
      command: TRUE,
    }),
  };
}

/**
 * P1: no network, 64 MiB memory limit where the runtime supports one:
 * tscontainer `--network none` against runc, bwrap and unshare(1).
 */
export async function benchP1(context: BenchContext): Promise<StartupResult> {
  const result: StartupResult = { contenders: [], skipped: [] };
  const contenders = [tscontainerContender(context, "none", "p1")];
  let bundle: string | undefined;
  if (hasPeer(context.peers, "runc")) {
    bundle = await prepareRuncBundle(context, "true", TRUE);
    contenders.push(runcContender(context, bundle));
  } else result.skipped.push(skipReason(context, "runc"));
  for (const name of ["bwrap", "unshare"] as const) {
    if (!hasPeer(context.peers, name)) {
      result.skipped.push(skipReason(context, name));
      continue;
    }
    const argv = name === "bwrap"
      ? bwrapArgv(context, TRUE)
      : unshareArgv(context, TRUE);
    contenders.push({ label: name, argv: () => argv });
  }

  progress(`P1: ${contenders.map((c) => c.label).join(", ")}, interleaved`);
  result.contenders = await runInterleaved(contenders, {
    runs: context.options.counts.startups,
    warmups: context.options.counts.warmups,
  });

  // hyperfine repeats each command as it is, so names are fixed per command.
  const fixed = contenders.map((contender): HyperfineCommand => {
    if (contender.label === "tscontainer") {
      return fixedTscontainer(context, "none", "p1");
    }
    if (contender.label === "runc" && bundle) {
      const id = `${NAME_PREFIX}-hf-p1`;
      context.cleanup.trackRunc(id);
      return { label: "runc", argv: runcArgv(context, bundle, id) };
    }
    return { label: contender.label, argv: contender.argv(0) };
  });
  await crossCheck(context, "P1", fixed, result);
  return result;
}

/**
 * P2: bridged network with an address and the memory limit: tscontainer
 * against `podman --runtime runc run --rm`, with both bridges already up.
 */
export async function benchP2(context: BenchContext): Promise<StartupResult> {
  const result: StartupResult = { contenders: [], skipped: [] };
  const contenders = [tscontainerContender(context, "bridge", "p2")];
  let podmanFixed: HyperfineCommand | undefined;
  if (hasPeer(context.peers, "podman")) {
    await ensurePodmanBridge(context);
    const rootfs = await podmanRootfs(context);
    contenders.push({
      label: "podman",
      argv: (round) => {
        const name = `${NAME_PREFIX}-p2-${round}`;
        context.cleanup.trackPodman(name);
        return podmanArgv(context, { name, rootfs, command: TRUE });
      },
    });
    const fixedName = `${NAME_PREFIX}-hf-p2`;
    context.cleanup.trackPodman(fixedName);
    podmanFixed = {
      label: "podman",
      argv: podmanArgv(context, { name: fixedName, rootfs, command: TRUE }),
    };
  } else result.skipped.push(skipReason(context, "podman"));

  progress(`P2: ${contenders.map((c) => c.label).join(", ")}, interleaved`);
  result.contenders = await runInterleaved(contenders, {
    runs: context.options.counts.startups,
    warmups: context.options.counts.warmups,
  });

  const fixed = [fixedTscontainer(context, "bridge", "p2")];
  if (podmanFixed) fixed.push(podmanFixed);
  await crossCheck(context, "P2", fixed, result);
  return result;
}
