import { errnoName } from "./errno.ts";

export { errnoName };

/** Hints for errno values whose standard text misleads for a given call. */
const HINTS: Record<string, string> = {
  "mount:ENOSPC":
    "the mount table is full: raise /proc/sys/fs/mount-max or remove mounts",
  "unshare:EINVAL":
    "the kernel rejects new user namespaces from a multi-threaded process; rootless mode is not supported",
  "pivot_root:EINVAL":
    "the new root must be a mount point that is not shared with the host mount namespace",
};

/** An argument printed as is in messages, such as a rendered flag word. */
export class Unquoted {
  constructor(readonly text: string) {}
}

export type CallArgs = Record<string, string | number | Unquoted>;

function renderArg(value: string | number | Unquoted): string {
  if (value instanceof Unquoted) return value.text;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * A failed libc call: names the call, its important arguments and the errno.
 *
 * Callers branch on `code` (such as "ENOENT"), never on the message text.
 */
export class SyscallError extends Error {
  override name = "SyscallError";
  readonly code: string;
  readonly hint?: string;

  constructor(
    readonly call: string,
    readonly args: CallArgs,
    readonly errno: number,
    description: string,
  ) {
    const code = errnoName(errno);
    const rendered = Object.entries(args)
      .map(([key, value]) => `${key}=${renderArg(value)}`)
      .join(", ");
    super(`${call}(${rendered}) failed: ${code} (${description})`);
    this.code = code;
    this.hint = HINTS[`${call}:${code}`];
  }
}
