/**
 * podman helpers: a long-running container that keeps podman's bridge up,
 * because netavark deletes the bridge when its last container ends, and
 * the comparison is with the bridge already up.
 */
import type { BenchContext } from "./context.ts";
import { NAME_PREFIX } from "./context.ts";
import { copyRootfs, podmanArgv } from "./peer_commands.ts";
import { progress } from "./progress.ts";
import { capture } from "./process.ts";

let keeper: Promise<string> | undefined;

async function startKeeper(context: BenchContext): Promise<string> {
  const name = `${NAME_PREFIX}-podman-bridge-keeper`;
  context.cleanup.trackPodman(name);
  const rootfs = await copyRootfs(context, "podman");
  progress(`starting podman container ${name} to keep podman's bridge up`);
  await capture(podmanArgv(context, {
    name,
    rootfs,
    command: ["/bin/sleep", "86400"],
    detach: true,
  }));
  return name;
}

/**
 * Starts the bridge keeper once per run; cleanup removes it with the
 * other podman containers of the run.
 * @throws {CommandError} when podman cannot start it.
 */
export function ensurePodmanBridge(context: BenchContext): Promise<string> {
  keeper ??= startKeeper(context);
  return keeper;
}

/** Returns a podman rootfs copy shared by the run's podman containers. */
export function podmanRootfs(context: BenchContext): Promise<string> {
  return copyRootfs(context, "podman");
}
