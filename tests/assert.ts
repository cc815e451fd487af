/**
 * Assertions in the style of Deno's std/assert, built on node:assert/strict
 * because JSR, where std lives, is not reachable from the build machines.
 */
import nodeAssert from "node:assert/strict";

export function assert(
  condition: unknown,
  message?: string,
): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertMatch(
  actual: string,
  pattern: RegExp,
  message?: string,
): void {
  nodeAssert.match(actual, pattern, message);
}

/**
 * Asserts that `fn` throws an instance of `ErrorClass` whose message contains
 * `includes`, and returns the error for further checks.
 */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    nodeAssert.ok(
      error instanceof ErrorClass,
      `expected ${ErrorClass.name}, got ${String(error)}`,
    );
    if (includes !== undefined) {
      nodeAssert.ok(
        error.message.includes(includes),
        `expected the message to contain ${
          JSON.stringify(includes)
        }: ${error.message}`,
      );
    }
    return error;
  }
  throw new nodeAssert.AssertionError({
    message: `expected ${ErrorClass.name} to be thrown`,
  });
}
