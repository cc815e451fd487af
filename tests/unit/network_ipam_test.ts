import assert from "node:assert/strict";
import { assertThrows } from "../assert.ts";
import { join } from "node:path";
import { RuntimeError, UsageError } from "../../src/errors.ts";
import {
  ADDRESS_FILE,
  allocateAddress,
  readAllocations,
  releaseAddress,
  scopeOf,
} from "../../src/network/ipam.ts";
import type { AllocationScope } from "../../src/network/ipam.ts";
import { formatIpv4, parseCidr } from "../../src/network/subnet.ts";
import { FileLock } from "../../src/state/lock.ts";

/** Creates a temporary state root whose containers are live unless listed in `dead`. */
function makeScope(dead: string[] = []): AllocationScope {
  const root = Deno.makeTempDirSync({ prefix: "tsc-ipam-test-" });
  return { root, inUse: (name) => !dead.includes(name) };
}

function addContainer(scope: AllocationScope, name: string): string {
  const directory = join(scope.root, name);
  Deno.mkdirSync(directory);
  return directory;
}

function allocate(
  scope: AllocationScope,
  name: string,
  cidr: string,
  requested?: string,
): string {
  addContainer(scope, name);
  const subnet = parseCidr(cidr, "test");
  return formatIpv4(allocateAddress(scope, name, subnet, requested));
}

Deno.test("allocateAddress() hands out distinct addresses", () => {
  const scope = makeScope();
  try {
    const addresses = ["a", "b", "c"].map((name) =>
      allocate(scope, name, "10.77.0.0/16")
    );

    assert.deepEqual(addresses, ["10.77.0.2", "10.77.0.3", "10.77.0.4"]);
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() records the address in the state dir", () => {
  const scope = makeScope();
  try {
    allocate(scope, "a", "10.77.0.0/16");

    const record = Deno.readTextFileSync(join(scope.root, "a", ADDRESS_FILE));
    assert.equal(record, "10.77.0.2\n");
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() skips network, gateway and broadcast", () => {
  const scope = makeScope();
  try {
    const names = ["a", "b", "c", "d", "e"];

    const addresses = names.map((name) => allocate(scope, name, "10.9.9.8/29"));

    assert.deepEqual(addresses, [
      "10.9.9.10",
      "10.9.9.11",
      "10.9.9.12",
      "10.9.9.13",
      "10.9.9.14",
    ]);
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() fails when the subnet is full", () => {
  const scope = makeScope();
  try {
    allocate(scope, "a", "10.9.9.0/30");

    const error = assertThrows(
      () => allocate(scope, "b", "10.9.9.0/30"),
      RuntimeError,
    );

    assert.equal(
      error.message,
      "no free address left in 10.9.9.0/30: 1 live containers use it",
    );
    assert.equal(error.exitCode, 125);
    assert.equal(Deno.statSync(join(scope.root, "b")).isDirectory, true);
    assert.throws(
      () => Deno.statSync(join(scope.root, "b", ADDRESS_FILE)),
      Deno.errors.NotFound,
    );
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() reuses the address of a dead container", () => {
  const scope = makeScope(["dead"]);
  try {
    allocate(scope, "dead", "10.77.0.0/16");

    const address = allocate(scope, "new", "10.77.0.0/16");

    assert.equal(address, "10.77.0.2");
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() reuses a released address", () => {
  const scope = makeScope();
  try {
    allocate(scope, "a", "10.77.0.0/16");
    allocate(scope, "b", "10.77.0.0/16");

    releaseAddress(join(scope.root, "a"));
    const address = allocate(scope, "c", "10.77.0.0/16");

    assert.equal(address, "10.77.0.2");
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() gives a requested address", () => {
  const scope = makeScope();
  try {
    const address = allocate(scope, "a", "10.77.0.0/16", "10.77.3.4");

    assert.equal(address, "10.77.3.4");
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() rejects a requested address in use", () => {
  const scope = makeScope();
  try {
    allocate(scope, "web", "10.77.0.0/16", "10.77.3.4");

    const error = assertThrows(
      () => allocate(scope, "db", "10.77.0.0/16", "10.77.3.4"),
      RuntimeError,
    );

    assert.equal(
      error.message,
      '--ip 10.77.3.4 is already used by container "web"',
    );
    assert.ok(error.hint?.includes("omit --ip"));
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() rejects a requested address outside", () => {
  const scope = makeScope();
  try {
    const error = assertThrows(
      () => allocate(scope, "a", "10.77.0.0/16", "10.78.0.2"),
      UsageError,
    );

    assert.equal(
      error.message,
      "invalid --ip 10.78.0.2: it is outside the subnet 10.77.0.0/16",
    );
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("allocateAddress() rejects requested reserved addresses", () => {
  const scope = makeScope();
  try {
    const cases = [
      ["10.77.0.0", "the network address"],
      ["10.77.0.1", "the gateway address"],
      ["10.77.255.255", "the broadcast address"],
    ];
    for (const [requested, role] of cases) {
      const error = assertThrows(
        () => allocate(scope, `c${requested}`, "10.77.0.0/16", requested),
        UsageError,
      );

      assert.equal(
        error.message,
        `invalid --ip ${requested}: it is ${role} of 10.77.0.0/16`,
      );
    }
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("readAllocations() maps addresses to live owners", () => {
  const scope = makeScope(["dead"]);
  try {
    allocate(scope, "a", "10.77.0.0/16", "10.77.0.9");
    allocate(scope, "dead", "10.77.0.0/16", "10.77.0.10");
    addContainer(scope, "starting");
    Deno.writeTextFileSync(join(scope.root, "file"), "not a directory");

    const used = readAllocations(scope);

    assert.deepEqual([...used], [[0x0a4d0009, "a"]]);
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("readAllocations() returns nothing for a missing root", () => {
  const scope = { root: "/nonexistent/tsc-ipam-test", inUse: () => true };

  assert.equal(readAllocations(scope).size, 0);
});

Deno.test("releaseAddress() is idempotent", () => {
  const scope = makeScope();
  try {
    allocate(scope, "a", "10.77.0.0/16");

    releaseAddress(join(scope.root, "a"));
    releaseAddress(join(scope.root, "a"));

    assert.throws(
      () => Deno.statSync(join(scope.root, "a", ADDRESS_FILE)),
      Deno.errors.NotFound,
    );
  } finally {
    Deno.removeSync(scope.root, { recursive: true });
  }
});

Deno.test("scopeOf() counts containers whose lock is held", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsc-ipam-test-" });
  const scope = scopeOf(root);
  Deno.mkdirSync(join(root, "ipam-test-live"));
  Deno.mkdirSync(join(root, "ipam-test-dead"));
  Deno.writeTextFileSync(join(root, "ipam-test-dead", "lock"), "");
  const held = FileLock.acquire(join(root, "ipam-test-live", "lock"));
  try {
    assert.equal(scope.inUse("ipam-test-live"), true);
    assert.equal(scope.inUse("ipam-test-dead"), false);
  } finally {
    held.release();
    Deno.removeSync(root, { recursive: true });
  }
});
