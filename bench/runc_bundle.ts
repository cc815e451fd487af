/**
 * OCI bundles for runc: `runc spec` generates the default config.json, which
 * the bench changes only where the comparison needs it.
 */
import { join } from "node:path";
import { capture } from "./process.ts";

/** Settings the bench changes in the generated config.json. */
export interface BundleSpec {
  /** Bundle directory; config.json is written there. */
  dir: string;
  /** Absolute path of the root filesystem (a copy of rootfs/). */
  rootfs: string;
  command: string[];
  memoryBytes: number;
  hostname: string;
}

interface OciConfig {
  process: { terminal: boolean; args: string[] };
  root: { path: string; readonly: boolean };
  hostname: string;
  linux: { resources?: { memory?: { limit?: number } } };
}

/**
 * Writes an OCI bundle: the default spec of `runc spec` (namespaces pid,
 * network, ipc, uts and mount, default mounts, masked paths) with the
 * command, no terminal, a writable root as tscontainer's overlay gives, and
 * the memory limit.
 * @throws {CommandError} when `runc spec` fails.
 */
export async function writeRuncBundle(
  runc: string,
  spec: BundleSpec,
): Promise<string> {
  Deno.mkdirSync(spec.dir, { recursive: true });
  const configPath = join(spec.dir, "config.json");
  // `runc spec` rejects a bundle that already has a config.json.
  try {
    Deno.removeSync(configPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await capture([runc, "spec", "--bundle", spec.dir]);

  const config: OciConfig = JSON.parse(Deno.readTextFileSync(configPath));
  config.process.terminal = false;
  config.process.args = spec.command;
  config.root = { path: spec.rootfs, readonly: false };
  config.hostname = spec.hostname;
  config.linux.resources = {
    ...config.linux.resources,
    memory: { limit: spec.memoryBytes },
  };
  Deno.writeTextFileSync(configPath, JSON.stringify(config, null, 2) + "\n");
  return spec.dir;
}
