// deno-lint-ignore-file camelcase
/**
 * The only module that opens libc. It exposes typed wrappers that take
 * strings and numbers, keep every buffer referenced until the call returns,
 * and throw `SyscallError` naming the call, its arguments and the errno.
 *
 * NOTE: no symbol is `nonblocking`. Such calls would run on another thread,
 * which has its own errno and stays in the old namespaces.
 */
import {
  formatFlags,
  O_CLOEXEC,
  O_CREAT,
  O_RDONLY,
  PR_SET_PDEATHSIG,
  S_IFCHR,
  SIG_SETMASK,
  SYSCALL_NUMBERS,
} from "./constants.ts";
import { SyscallError, Unquoted } from "./errors.ts";
import type { CallArgs } from "./errors.ts";

const SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" }, // int *(void)
  strerror: { parameters: ["i32"], result: "pointer" }, // char *(int)
  unshare: { parameters: ["i32"], result: "i32" }, // int (int flags)
  setns: { parameters: ["i32", "i32"], result: "i32" }, // int (int fd, int nstype)
  mount: {
    // int (const char *source, const char *target, const char *fstype,
    //      unsigned long flags, const void *data)
    parameters: ["buffer", "buffer", "buffer", "u64", "buffer"],
    result: "i32",
  },
  umount2: { parameters: ["buffer", "i32"], result: "i32" }, // int (const char *, int)
  // long syscall(long number, ...): declared with the two pointer arguments
  // of pivot_root(new_root, put_old), which pass like fixed arguments.
  syscall: { parameters: ["i64", "buffer", "buffer"], result: "i64" },
  sethostname: { parameters: ["buffer", "usize"], result: "i32" }, // int (const char *, size_t)
  chdir: { parameters: ["buffer"], result: "i32" }, // int (const char *)
  // int execve(const char *path, char *const argv[], char *const envp[])
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" }, // int (const char *, int, mode_t)
  close: { parameters: ["i32"], result: "i32" }, // int (int fd)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" }, // ssize_t (int, const void *, size_t)
  flock: { parameters: ["i32", "i32"], result: "i32" }, // int (int fd, int operation)
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" }, // int (const char *, mode_t, dev_t)
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" }, // int (const char *, mode_t)
  // syscall(SYS_rt_sigaction, int sig, const struct sigaction *act,
  //         struct sigaction *oldact, size_t sigsetsize): glibc's sigaction()
  // rejects the signals it reserves (32 and 33), which Deno leaves ignored.
  rt_sigaction: {
    name: "syscall",
    parameters: ["i64", "i64", "buffer", "pointer", "i64"],
    result: "i64",
  },
  // int sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
  sigprocmask: { parameters: ["i32", "buffer", "pointer"], result: "i32" },
  // int prctl(int option, unsigned long arg2, arg3, arg4, arg5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Library | undefined;

function lib(): Library {
  library ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return library;
}

const encoder = new TextEncoder();

/** Encodes a string as a NUL-terminated C string. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(encoder.encode(text).length + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}

/** Reads errno right after a failed call, before any other FFI call or op. */
function readErrno(): number {
  const pointer = lib().__errno_location();
  return new Deno.UnsafePointerView(pointer!).getInt32();
}

function describeErrno(errno: number): string {
  const pointer = lib().strerror(errno);
  return pointer ? Deno.UnsafePointerView.getCString(pointer) : "unknown";
}

function fail(call: string, args: CallArgs): never {
  const errno = readErrno();
  throw new SyscallError(call, args, errno, describeErrno(errno));
}

function check(result: number | bigint, call: string, args: CallArgs): number {
  if (Number(result) === -1) fail(call, args);
  return Number(result);
}

/** The libc calls the runtime makes, as one interface so tests can fake it. */
export interface Libc {
  unshare(flags: number): void;
  setns(fd: number, nstype: number, path?: string): void;
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data?: string,
  ): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  sethostname(name: string): void;
  chdir(path: string): void;
  execve(path: string, argv: string[], env: string[]): never;
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): void;
  write(fd: number, data: Uint8Array<ArrayBuffer>, path?: string): number;
  flock(fd: number, operation: number, path?: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  mkfifo(path: string, mode: number): void;
  /** Restores the default action of `signal` (signal(2) with SIG_DFL). */
  setSignalDefault(signal: number): void;
  /** Makes the kernel discard `signal` (signal(2) with SIG_IGN). */
  ignoreSignal(signal: number): void;
  /** Unblocks every signal of the calling thread (sigprocmask(2)). */
  unblockAllSignals(): void;
  /** prctl(PR_SET_PDEATHSIG): the signal this process gets when its parent thread exits. */
  setParentDeathSignal(signal: number): void;
}

/** Encodes the kernel's dev_t from a major and minor number (glibc layout). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) |
    ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

function optionalString(text: string | null | undefined): Uint8Array | null {
  return text === null || text === undefined ? null : cString(text);
}

/** Builds a NULL-ended array of pointers to `strings`, kept in `keep`. */
function pointerArray(
  strings: string[],
  keep: Uint8Array[],
): BigUint64Array<ArrayBuffer> {
  const array = new BigUint64Array(strings.length + 1);
  strings.forEach((text, index) => {
    const bytes = cString(text);
    keep.push(bytes);
    array[index] = BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)),
    );
  });
  return array;
}

function syscallNumbers(): { pivot_root: number; rt_sigaction: number } {
  const numbers = SYSCALL_NUMBERS[Deno.build.arch];
  if (!numbers) {
    throw new Error(
      `unsupported architecture for syscall(2): ${Deno.build.arch}`,
    );
  }
  return numbers;
}

const SIG_DFL = 0;
const SIG_IGN = 1;

/**
 * Sets a signal's disposition with rt_sigaction(2). The kernel struct
 * sigaction starts with the handler; the rest (flags, restorer, mask) stays
 * zero. 8 is the kernel's sigset size in bytes.
 */
function setSignalHandler(signal: number, handler: number): void {
  const action = new Uint8Array(32);
  action[0] = handler;
  const number = BigInt(syscallNumbers().rt_sigaction);
  const result = lib().rt_sigaction(number, BigInt(signal), action, null, 8n);
  check(result, "rt_sigaction", {
    signal,
    handler: new Unquoted(handler === SIG_IGN ? "SIG_IGN" : "SIG_DFL"),
  });
}

/** The real libc, opened on first use. */
export const libc: Libc = {
  unshare(flags) {
    check(lib().unshare(flags), "unshare", {
      flags: new Unquoted(formatFlags("clone", flags)),
    });
  },

  setns(fd, nstype, path) {
    check(lib().setns(fd, nstype), "setns", {
      ...(path ? { path } : { fd }),
      nstype: new Unquoted(formatFlags("clone", nstype)),
    });
  },

  mount(source, target, fstype, flags, data) {
    const result = lib().mount(
      optionalString(source),
      cString(target),
      optionalString(fstype),
      BigInt(flags),
      optionalString(data),
    );
    check(result, "mount", {
      ...(source !== null ? { source } : {}),
      target,
      ...(fstype !== null ? { fstype } : {}),
      flags: new Unquoted(formatFlags("mount", flags)),
      ...(data ? { data } : {}),
    });
  },

  umount2(target, flags) {
    check(lib().umount2(cString(target), flags), "umount2", {
      target,
      flags: new Unquoted(formatFlags("umount", flags)),
    });
  },

  pivotRoot(newRoot, putOld) {
    const result = lib().syscall(
      BigInt(syscallNumbers().pivot_root),
      cString(newRoot),
      cString(putOld),
    );
    check(result, "pivot_root", { new_root: newRoot, put_old: putOld });
  },

  sethostname(name) {
    const bytes = encoder.encode(name);
    check(lib().sethostname(bytes, BigInt(bytes.length)), "sethostname", {
      name,
    });
  },

  chdir(path) {
    check(lib().chdir(cString(path)), "chdir", { path });
  },

  execve(path, argv, env) {
    const keep: Uint8Array[] = [];
    const argvArray = pointerArray(argv, keep);
    const envArray = pointerArray(env, keep);
    lib().execve(cString(path), argvArray, envArray);
    fail("execve", { path });
  },

  open(path, flags, mode = 0) {
    return check(lib().open(cString(path), flags, mode), "open", {
      path,
      flags: new Unquoted(formatFlags("open", flags)),
    });
  },

  close(fd) {
    check(lib().close(fd), "close", { fd });
  },

  write(fd, data, path) {
    const result = lib().write(fd, data, BigInt(data.length));
    return check(result, "write", path ? { path } : { fd });
  },

  flock(fd, operation, path) {
    check(lib().flock(fd, operation), "flock", {
      ...(path ? { path } : { fd }),
      operation: new Unquoted(formatFlags("flock", operation)),
    });
  },

  mknod(path, mode, major, minor) {
    const result = lib().mknod(
      cString(path),
      S_IFCHR | mode,
      makedev(major, minor),
    );
    check(result, "mknod", { path, device: `${major}:${minor}` });
  },

  mkfifo(path, mode) {
    check(lib().mkfifo(cString(path), mode), "mkfifo", { path });
  },

  setSignalDefault(signal) {
    setSignalHandler(signal, SIG_DFL);
  },

  ignoreSignal(signal) {
    setSignalHandler(signal, SIG_IGN);
  },

  unblockAllSignals() {
    // sigset_t is 1024 bits in glibc; all zero is the empty set.
    const empty = new Uint8Array(128);
    const result = lib().sigprocmask(SIG_SETMASK, empty, null);
    check(result, "sigprocmask", { how: new Unquoted("SIG_SETMASK") });
  },

  setParentDeathSignal(signal) {
    const result = lib().prctl(PR_SET_PDEATHSIG, BigInt(signal), 0n, 0n, 0n);
    check(result, "prctl", {
      option: new Unquoted("PR_SET_PDEATHSIG"),
      signal,
    });
  },
};

/** Opens `path` read-only with O_CLOEXEC and returns the descriptor. */
export function openReadOnly(path: string, sys: Libc = libc): number {
  return sys.open(path, O_RDONLY | O_CLOEXEC);
}

/** Opens or creates `path` with O_CLOEXEC for a lock and returns the descriptor. */
export function openLockFile(path: string, sys: Libc = libc): number {
  return sys.open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600);
}
