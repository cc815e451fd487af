/** The init stage's mount steps against a recording fake of libc. */
import { assertEquals } from "../assert.ts";
import type { Libc } from "../../ffi/libc.ts";
import {
  bindRootfs,
  makeRootPrivate,
  mountOverlayRoot,
  pivotIntoRootfs,
} from "../../src/init/mounts.ts";
import {
  MNT_DETACH,
  MS_BIND,
  MS_PRIVATE,
  MS_REC,
} from "../../ffi/constants.ts";

type Call = [string, ...unknown[]];

/** Returns a Libc that records its calls instead of making them. */
function recordingLibc(calls: Call[]): Libc {
  const record = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
  };
  return {
    unshare: record("unshare"),
    setns: record("setns"),
    mount: record("mount"),
    umount2: record("umount2"),
    pivotRoot: record("pivotRoot"),
    sethostname: record("sethostname"),
    chdir: record("chdir"),
    execve: () => {
      throw new Error("execve is not faked");
    },
    open: () => 3,
    close: record("close"),
    write: () => 1,
    flock: record("flock"),
    mknod: record("mknod"),
    mkfifo: record("mkfifo"),
    setSignalDefault: record("setSignalDefault"),
    ignoreSignal: record("ignoreSignal"),
    unblockAllSignals: record("unblockAllSignals"),
    setParentDeathSignal: record("setParentDeathSignal"),
  };
}

Deno.test("makeRootPrivate() remounts / recursively private", () => {
  const calls: Call[] = [];

  makeRootPrivate(recordingLibc(calls));

  assertEquals(calls, [["mount", null, "/", null, MS_REC | MS_PRIVATE]]);
});

Deno.test("mountOverlayRoot() stacks upper over the rootfs", () => {
  const calls: Call[] = [];
  const dirs = { upper: "/d/upper", work: "/d/work", merged: "/d/merged" };

  mountOverlayRoot(recordingLibc(calls), "/rootfs", dirs);

  assertEquals(calls, [[
    "mount",
    "overlay",
    "/d/merged",
    "overlay",
    0,
    "lowerdir=/rootfs,upperdir=/d/upper,workdir=/d/work",
  ]]);
});

Deno.test("bindRootfs() binds the rootfs onto itself", () => {
  const calls: Call[] = [];

  bindRootfs(recordingLibc(calls), "/rootfs");

  assertEquals(calls, [[
    "mount",
    "/rootfs",
    "/rootfs",
    null,
    MS_BIND | MS_REC,
  ]]);
});

Deno.test("pivotIntoRootfs() pivots onto . and detaches the old root", () => {
  const calls: Call[] = [];

  pivotIntoRootfs(recordingLibc(calls), "/d/merged");

  assertEquals(calls, [
    ["chdir", "/d/merged"],
    ["pivotRoot", ".", "."],
    ["umount2", ".", MNT_DETACH],
    ["chdir", "/"],
  ]);
});
