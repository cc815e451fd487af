import { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from "../../ffi/constants.ts";
import { libc, openLockFile, openReadOnly } from "../../ffi/libc.ts";
import type { Libc } from "../../ffi/libc.ts";
import { SyscallError } from "../../ffi/errors.ts";

// EAGAIN and EWOULDBLOCK are the same number on Linux.
function wouldBlock(error: unknown): boolean {
  return error instanceof SyscallError &&
    (error.code === "EWOULDBLOCK" || error.code === "EAGAIN");
}

/**
 * An flock(2) lock on a file. The kernel releases it when the process that
 * holds it dies, so a lock that can be taken means its owner is gone.
 */
export class FileLock {
  private constructor(
    readonly path: string,
    private fd: number,
    private readonly sys: Libc,
  ) {}

  /** Opens (creating) `path` and blocks until an exclusive lock is held. */
  static acquire(path: string, sys: Libc = libc): FileLock {
    const fd = openLockFile(path, sys);
    try {
      sys.flock(fd, LOCK_EX, path);
    } catch (error) {
      sys.close(fd);
      throw error;
    }
    return new FileLock(path, fd, sys);
  }

  /** Takes an exclusive lock without blocking; returns undefined if held. */
  static tryAcquire(path: string, sys: Libc = libc): FileLock | undefined {
    const fd = openLockFile(path, sys);
    try {
      sys.flock(fd, LOCK_EX | LOCK_NB, path);
    } catch (error) {
      sys.close(fd);
      if (wouldBlock(error)) return undefined;
      throw error;
    }
    return new FileLock(path, fd, sys);
  }

  /** Returns true when another open file description holds a lock on `path`. */
  static isHeld(path: string, sys: Libc = libc): boolean {
    let fd: number;
    try {
      // Without O_CREAT: creating the file here could race with the removal
      // of its directory and leave the directory behind.
      fd = openReadOnly(path, sys);
    } catch (error) {
      if (error instanceof SyscallError && error.code === "ENOENT") {
        return false;
      }
      throw error;
    }
    try {
      sys.flock(fd, LOCK_SH | LOCK_NB, path);
      return false;
    } catch (error) {
      if (wouldBlock(error)) return true;
      throw error;
    } finally {
      sys.close(fd);
    }
  }

  release(): void {
    if (this.fd < 0) return;
    this.sys.flock(this.fd, LOCK_UN, this.path);
    this.sys.close(this.fd);
    this.fd = -1;
  }
}

/** Runs `fn` while holding an exclusive lock on `path`. */
export async function withLock<T>(
  path: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  const lock = FileLock.acquire(path);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
