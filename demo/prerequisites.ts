/**
 * Prerequisites of the demo, checked before it starts a container: root,
 * iproute2's `ip`, and the rootfs, which it builds when a part is missing or
 * stale.
 */
import { RuntimeError } from "../src/errors.ts";
import { ensureRootfs } from "../rootfs/usr/src/tscontainer/build.ts";
import { REPO, ROOTFS } from "./runtime.ts";

function isOnPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return false;
}

/**
 * Checks the prerequisites and builds the rootfs when needed. Returns one
 * line that names what to install or do, or undefined when all is in place.
 */
export async function checkPrerequisites(): Promise<string | undefined> {
  if (Deno.uid() !== 0) {
    return "the demo creates namespaces and cgroups, which needs root: run sudo deno task demo";
  }
  if (!isOnPath("ip")) {
    return "the ip command was not found on PATH: install iproute2 (apt-get install iproute2)";
  }
  try {
    await ensureRootfs(`${REPO}${ROOTFS}`);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    const hint = error.hint ? ` (${error.hint})` : "";
    return `building the rootfs failed: ${error.message}${hint}`;
  }
  return undefined;
}
