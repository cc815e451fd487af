import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import {
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  formatFlags,
  MS_NODEV,
  MS_NOSUID,
  MS_PRIVATE,
  MS_REC,
} from "../../ffi/constants.ts";
import { errnoName, SyscallError, Unquoted } from "../../ffi/errors.ts";
import { libc, makedev } from "../../ffi/libc.ts";

Deno.test("errnoName() maps numbers to names", () => {
  assertEquals(errnoName(1), "EPERM");
  assertEquals(errnoName(2), "ENOENT");
  assertEquals(errnoName(22), "EINVAL");
  assertEquals(errnoName(28), "ENOSPC");
  assertEquals(errnoName(99999), "errno 99999");
});

Deno.test("formatFlags() renders names and unknown bits", () => {
  assertEquals(formatFlags("mount", MS_REC | MS_PRIVATE), "MS_REC|MS_PRIVATE");
  assertEquals(
    formatFlags("clone", CLONE_NEWNS | CLONE_NEWPID),
    "CLONE_NEWNS|CLONE_NEWPID",
  );
  assertEquals(formatFlags("clone", CLONE_NEWNET | 0x1), "CLONE_NEWNET|0x1");
  assertEquals(formatFlags("mount", 0), "0");
});

Deno.test("SyscallError names the call, arguments and errno", () => {
  const error = new SyscallError(
    "mount",
    {
      source: "proc",
      target: "/proc",
      fstype: "proc",
      flags: new Unquoted(formatFlags("mount", MS_NOSUID | MS_NODEV)),
    },
    1,
    "Operation not permitted",
  );

  assertEquals(
    error.message,
    'mount(source="proc", target="/proc", fstype="proc", flags=MS_NOSUID|MS_NODEV) failed: EPERM (Operation not permitted)',
  );
  assertEquals(error.code, "EPERM");
  assertEquals(error.errno, 1);
});

Deno.test("SyscallError adds a hint where errno text misleads", () => {
  const error = new SyscallError(
    "mount",
    { target: "/x" },
    28,
    "No space left on device",
  );

  assertMatch(error.hint ?? "", /mount table is full/);
});

Deno.test("libc.open() throws SyscallError with ENOENT", () => {
  const error = assertThrows(
    () => libc.open("/nonexistent/tscontainer-test", 0),
    SyscallError,
  );

  assertEquals(error.code, "ENOENT");
  assertMatch(
    error.message,
    /^open\(path="\/nonexistent\/tscontainer-test", flags=0\) failed: ENOENT \(No such file or directory\)$/,
  );
});

Deno.test("makedev() encodes major and minor like glibc", () => {
  assertEquals(makedev(1, 3), 0x103n);
  assertEquals(makedev(5, 0), 0x500n);
  assertEquals(makedev(136, 300), 0x10_88_2cn);
});

Deno.test("Deno.dlopen is called only in ffi/", () => {
  const offenders: string[] = [];
  const visit = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (
        entry.isDirectory &&
        !["ffi", "rootfs", "node_modules", ".git"].includes(entry.name)
      ) {
        visit(path);
      } else if (
        entry.isFile && path.endsWith(".ts") && !path.endsWith("ffi_test.ts")
      ) {
        if (Deno.readTextFileSync(path).includes("Deno.dlopen")) {
          offenders.push(path);
        }
      }
    }
  };
  visit(new URL("../..", import.meta.url).pathname.replace(/\/$/, ""));

  assertEquals(offenders, []);
});
