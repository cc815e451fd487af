/** Container names and hostnames: validation and generation. */
import { UsageError } from "../errors.ts";

/** Container names, as docker accepts them, at most 63 characters. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Maximum hostname length in bytes (HOST_NAME_MAX on Linux). */
export const HOSTNAME_MAX_BYTES = 64;

const LABEL_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

const ADJECTIVES = [
  "bold",
  "brave",
  "calm",
  "eager",
  "fond",
  "keen",
  "lucid",
  "quiet",
  "sharp",
  "swift",
  "tidy",
  "witty",
];
const NOUNS = [
  "babbage",
  "curie",
  "dijkstra",
  "hopper",
  "knuth",
  "lamport",
  "lovelace",
  "ritchie",
  "shannon",
  "thompson",
  "torvalds",
  "turing",
];

/**
 * Checks a container name.
 * @throws {UsageError} when the name does not match NAME_PATTERN.
 */
export function validateName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(`invalid container name ${JSON.stringify(name)}`, {
      hint:
        "use 1 to 63 characters from [a-zA-Z0-9_.-], starting with a letter or digit",
    });
  }
  return name;
}

/**
 * Checks a hostname against the RFC 1123 rules: dot-separated labels of
 * letters, digits and inner hyphens, 1 to 63 characters each, and at most
 * 64 bytes in all.
 * @throws {UsageError} naming the hostname and the rule it breaks.
 */
export function validateHostname(hostname: string): string {
  const hint =
    "use letters, digits and hyphens in dot-separated labels of 1 to 63 characters, such as h1 or web-1.example";
  if (hostname.length === 0) {
    throw new UsageError("invalid hostname: it is empty", { hint });
  }
  const bytes = new TextEncoder().encode(hostname).length;
  if (bytes > HOSTNAME_MAX_BYTES) {
    throw new UsageError(
      `invalid hostname ${
        JSON.stringify(hostname)
      }: ${bytes} bytes is longer than the maximum of ${HOSTNAME_MAX_BYTES}`,
      { hint },
    );
  }
  const bad = hostname.split(".").find((label) => !LABEL_PATTERN.test(label));
  if (bad !== undefined) {
    throw new UsageError(
      `invalid hostname ${JSON.stringify(hostname)}: label ${
        JSON.stringify(bad)
      } breaks the RFC 1123 rules`,
      { hint },
    );
  }
  return hostname;
}

/**
 * Derives a valid hostname from a container name, replacing characters that
 * hostnames do not allow with hyphens.
 */
export function hostnameFromName(name: string): string {
  const label = name.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-+$/, "")
    .slice(0, 63).replace(/-+$/, "");
  return label.length > 0 ? label : "container";
}

/** Generates a name such as "brave-hopper-3f2a", as docker does when none is given. */
export function generateName(): string {
  const pick = (words: string[]) =>
    words[crypto.getRandomValues(new Uint32Array(1))[0] % words.length];
  const suffix = crypto.getRandomValues(new Uint16Array(1))[0].toString(16)
    .padStart(4, "0");
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${suffix}`;
}
