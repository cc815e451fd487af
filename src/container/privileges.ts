/** The privilege check every command that touches containers makes first. */
import { RuntimeError } from "../errors.ts";

/** @throws {RuntimeError} when not running as root. */
export function requireRoot(uid = Deno.uid()): void {
  if (uid === 0) return;
  throw new RuntimeError("tscontainer must run as root (uid 0)", {
    hint: "run it with sudo",
  });
}
