/**
 * Resource limits as the CLI accepts them (docker's flag names and units),
 * and how sizes are printed back.
 */
import { UsageError } from "../errors.ts";

/** The limits of one container. An absent field means no limit. */
export interface ResourceLimits {
  memoryBytes?: number;
  cpus?: number;
  pidsLimit?: number;
}

/**
 * Smallest memory limit accepted: 6 MiB, docker's minimum too. A busybox
 * shell and the runtime's init stage do not start in less.
 */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** CFS period that `--cpus` is turned into a quota over, in microseconds. */
export const CPU_PERIOD_US = 100_000;

/** Smallest CFS quota the kernel accepts, in microseconds (1 ms). */
export const MIN_CPU_QUOTA_US = 1_000;

/** Largest pids.max the kernel accepts: PID_MAX_LIMIT on 64-bit kernels. */
export const MAX_PIDS_LIMIT = 4_194_304;

const SIZE_FORMAT =
  "expected a number of bytes with an optional b, k, m or g suffix (1024-based), such as 64m";

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)([kmg](?:i?b)?|b)?$/i;

const UNIT_FACTORS: Record<string, number> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/**
 * Parses a memory size such as `64m` or `1.5g` into bytes, rounded down.
 *
 * @throws {UsageError} when the size is malformed, negative, zero, too large
 * to represent, or below `MIN_MEMORY_BYTES`.
 */
export function parseMemorySize(text: string): number {
  const value = text.trim();
  const quoted = JSON.stringify(text);
  if (value.startsWith("-")) {
    throw new UsageError(`invalid memory size ${quoted}: it is negative`, {
      hint: SIZE_FORMAT,
    });
  }

  const match = SIZE_PATTERN.exec(value);
  if (!match) {
    throw new UsageError(`invalid memory size ${quoted}`, {
      hint: SIZE_FORMAT,
    });
  }

  const unit = (match[2] ?? "b")[0].toLowerCase();
  const bytes = Math.floor(Number(match[1]) * UNIT_FACTORS[unit]);
  checkMemoryBytes(bytes, quoted);
  return bytes;
}

function checkMemoryBytes(bytes: number, quoted: string): void {
  if (bytes === 0) {
    throw new UsageError(`invalid memory size ${quoted}: it is zero`, {
      hint: `${SIZE_FORMAT}, or omit --memory for no limit`,
    });
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`invalid memory size ${quoted}: it is too large`, {
      hint: "omit --memory for no limit",
    });
  }
  if (bytes < MIN_MEMORY_BYTES) {
    throw new UsageError(
      `memory size ${quoted} is below the minimum of 6 MiB: a shell cannot start in less`,
      { hint: "give at least 6m" },
    );
  }
}

const CPUS_PATTERN = /^(\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a decimal number of CPUs such as `0.5`.
 *
 * @param onlineCpus the upper bound, by default the CPUs available to this process.
 * @throws {UsageError} when the number is malformed, zero or negative, smaller
 * than the kernel's minimum quota (0.01), or more than `onlineCpus`.
 */
export function parseCpus(
  text: string,
  onlineCpus: number = navigator.hardwareConcurrency,
): number {
  const value = text.trim();
  const quoted = JSON.stringify(text);
  const range =
    `expected a decimal number greater than 0 and at most ${onlineCpus}` +
    ` (the CPUs online), such as 0.5`;
  if (!CPUS_PATTERN.test(value)) {
    throw new UsageError(`invalid CPU count ${quoted}`, { hint: range });
  }

  const cpus = Number(value);
  if (cpus === 0) {
    throw new UsageError(`invalid CPU count ${quoted}: it is zero`, {
      hint: `${range}, or omit --cpus for no limit`,
    });
  }
  if (cpus > onlineCpus) {
    throw new UsageError(
      `invalid CPU count ${quoted}: this machine has ${onlineCpus} CPUs online`,
      { hint: range },
    );
  }
  if (cpuQuotaUs(cpus) < MIN_CPU_QUOTA_US) {
    throw new UsageError(
      `invalid CPU count ${quoted}: below 0.01, the kernel's minimum CFS quota of 1 ms per 100 ms period`,
      { hint: range },
    );
  }
  return cpus;
}

/** Converts a number of CPUs into a CFS quota over `CPU_PERIOD_US`. */
export function cpuQuotaUs(cpus: number): number {
  return Math.round(cpus * CPU_PERIOD_US);
}

/**
 * Parses the maximum number of processes, an integer of at least 1.
 *
 * @throws {UsageError} when the number is malformed, zero, negative, or above
 * `MAX_PIDS_LIMIT`.
 */
export function parsePidsLimit(text: string): number {
  const value = text.trim();
  const quoted = JSON.stringify(text);
  const range = `expected a whole number from 1 to ${MAX_PIDS_LIMIT}`;
  if (!/^-?\d+$/.test(value)) {
    throw new UsageError(`invalid pids limit ${quoted}`, { hint: range });
  }

  const limit = Number(value);
  if (limit < 1) {
    throw new UsageError(
      `invalid pids limit ${quoted}: it must be at least 1`,
      { hint: `${range}, or omit --pids-limit for no limit` },
    );
  }
  if (limit > MAX_PIDS_LIMIT) {
    throw new UsageError(
      `invalid pids limit ${quoted}: above the kernel's maximum of ${MAX_PIDS_LIMIT}`,
      { hint: range },
    );
  }
  return limit;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Formats a byte count with a 1024-based unit, such as "64 MiB" or "1.5 GiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) || unit === 0 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}
