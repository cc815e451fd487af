/**
 * Kernel constants with their kernel names, from the Linux UAPI headers
 * (`linux/sched.h`, `linux/mount.h`, `asm-generic/fcntl.h`, `sys/file.h`).
 */

// Namespace flags for unshare(2), setns(2) and clone(2).
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

// Mount flags for mount(2).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_NOATIME = 0x400;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_STRICTATIME = 0x1000000;

// Flags for umount2(2).
export const MNT_DETACH = 0x2;

// Flags for open(2), as on x86_64 and aarch64.
export const O_RDONLY = 0x0;
export const O_WRONLY = 0x1;
export const O_RDWR = 0x2;
export const O_CREAT = 0x40;
export const O_NONBLOCK = 0x800;
export const O_NOFOLLOW = 0x20000;
export const O_DIRECTORY = 0x10000;
export const O_CLOEXEC = 0x80000;

// Operations for flock(2).
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

// Options for prctl(2).
export const PR_SET_PDEATHSIG = 1;

// Value of the `how` argument of sigprocmask(2).
export const SIG_SETMASK = 2;

// File type bits for mknod(2).
export const S_IFCHR = 0o020000;

/** Syscall numbers that glibc has no wrapper for, per architecture. */
export const SYSCALL_NUMBERS: Record<
  string,
  { pivot_root: number; rt_sigaction: number }
> = {
  x86_64: { pivot_root: 155, rt_sigaction: 13 },
  aarch64: { pivot_root: 41, rt_sigaction: 134 },
};

const FLAG_NAMES: Record<string, Record<string, number>> = {
  clone: {
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWUTS,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
  },
  mount: {
    MS_RDONLY,
    MS_NOSUID,
    MS_NODEV,
    MS_NOEXEC,
    MS_REMOUNT,
    MS_NOATIME,
    MS_BIND,
    MS_MOVE,
    MS_REC,
    MS_PRIVATE,
    MS_SLAVE,
    MS_STRICTATIME,
  },
  umount: { MNT_DETACH },
  open: {
    O_WRONLY,
    O_RDWR,
    O_CREAT,
    O_NONBLOCK,
    O_NOFOLLOW,
    O_DIRECTORY,
    O_CLOEXEC,
  },
  flock: { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN },
};

/**
 * Renders a flag word as `NAME|NAME`, with any bits that have no name in hex,
 * for messages and logs. Returns "0" for no flags.
 */
export function formatFlags(
  family: keyof typeof FLAG_NAMES,
  flags: number,
): string {
  const names: string[] = [];
  let rest = flags;
  for (const [name, bit] of Object.entries(FLAG_NAMES[family])) {
    if (bit !== 0 && (flags & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.length > 0 ? names.join("|") : "0";
}
