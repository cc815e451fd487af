/**
 * Builds the busybox root filesystem that tscontainer runs containers in.
 *
 *   deno task rootfs               builds <repo>/rootfs
 *   deno task rootfs --out DIR     builds DIR instead
 *   TSC_BUSYBOX=/path/to/busybox deno task rootfs
 *
 * busybox comes from $TSC_BUSYBOX, else the host's `busybox` when it is
 * statically linked, else Debian's busybox-static package (fetched with
 * `apt-get download`). The C programs beside this file are compiled with
 * `gcc -static` into usr/bin/, which needs the Debian packages gcc and
 * libc6-dev. A second run only redoes what is missing or stale.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorMessage, RuntimeError } from "../../../../src/errors.ts";

/** Directory of this file, which also contains the C sources. */
const SOURCE_DIR = path.dirname(fileURLToPath(import.meta.url));

/** `<repo>/rootfs`, the tree that `tscontainer --rootfs rootfs` runs. */
export const DEFAULT_ROOTFS = path.resolve(SOURCE_DIR, "../../..");

/** Directories of the tree with their modes. tmp and var/tmp are sticky and world-writable. */
const DIRECTORIES: ReadonlyArray<readonly [string, number]> = [
  ["bin", 0o755],
  ["sbin", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
  ["etc", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["dev", 0o755],
  ["tmp", 0o1777],
  ["root", 0o700],
  ["var/tmp", 0o1777],
  ["run", 0o755],
];

const ETC_FILES: Readonly<Record<string, string>> = {
  "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" +
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  "etc/group": "root:x:0:\nnogroup:x:65534:\n",
  "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n",
  "etc/profile":
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" +
    "export PS1='\\u@\\h:\\w\\$ '\n",
};

const CFLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-pthread"];
const INSTALL_COMPILER =
  "install the Debian packages gcc and libc6-dev (apt-get install gcc libc6-dev)";
const GET_STATIC_BUSYBOX =
  "install Debian's busybox-static package or set TSC_BUSYBOX to the path of a statically linked busybox";

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const PT_INTERP = 3;

export interface BuildOptions {
  /** Path of a statically linked busybox to install. It overrides $TSC_BUSYBOX. */
  busybox?: string;
  /** Receives one line for each part built. The default writes it to stderr. */
  log?: (line: string) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function logToStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`rootfs: ${line}\n`));
}

/**
 * Builds or updates the root filesystem at `dir`: directories, busybox and
 * its applet links, files in /etc, and the C programs in usr/bin. Parts that
 * are already in place are kept, so a second run is fast. An installed static
 * busybox is replaced only when `options.busybox` or $TSC_BUSYBOX names
 * another binary.
 *
 * @throws {RuntimeError} when busybox is dynamically linked or cannot be
 * fetched, or when gcc, the static libc or a compilation fails.
 */
export async function buildRootfs(
  dir: string,
  options: BuildOptions = {},
): Promise<void> {
  const root = path.resolve(dir);
  const log = options.log ?? logToStderr;
  const requestedBusybox = options.busybox ?? Deno.env.get("TSC_BUSYBOX");

  // Reject a dynamic busybox or a missing compiler before changing the tree.
  if (requestedBusybox) await requireStaticBusybox(requestedBusybox);
  const stalePrograms = await findStalePrograms(root);
  if (stalePrograms.length > 0) await requireCompiler();

  await createDirectories(root, log);
  await installBusybox(root, requestedBusybox, log);
  await linkApplets(root, log);
  await writeEtcFiles(root, log);
  await Promise.all(
    stalePrograms.map((name) => compileProgram(root, name, log)),
  );
}

/**
 * Builds the root filesystem at `dir` when a part is missing or a C source is
 * newer than its program, and otherwise changes nothing.
 *
 * @throws {RuntimeError} as `buildRootfs` does.
 */
export async function ensureRootfs(
  dir: string = DEFAULT_ROOTFS,
  options: BuildOptions = {},
): Promise<void> {
  const missing = await findMissingParts(path.resolve(dir));
  if (missing.length === 0) return;

  const log = options.log ?? logToStderr;
  const firstParts = missing.slice(0, 3).join(", ");
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : "";
  log(`building ${dir}: missing or stale: ${firstParts}${more}`);
  await buildRootfs(dir, options);
}

/**
 * Lists the parts of the tree at `root` that are missing or stale, as paths
 * relative to `root`. The list is empty when the tree is complete.
 */
export async function findMissingParts(root: string): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, mode] of DIRECTORIES) {
    const info = await statOrUndefined(path.join(root, name));
    if (!info?.isDirectory || (info.mode! & 0o7777) !== mode) {
      missing.push(`${name}/`);
    }
  }

  const busybox = path.join(root, "bin/busybox");
  if (await statOrUndefined(busybox)) {
    for (const applet of await listApplets(busybox)) {
      if (!await lstatOrUndefined(path.join(root, applet))) {
        missing.push(applet);
      }
    }
  } else {
    missing.push("bin/busybox");
  }

  for (const name of Object.keys(ETC_FILES)) {
    if (!await statOrUndefined(path.join(root, name))) missing.push(name);
  }
  for (const name of await findStalePrograms(root)) {
    missing.push(`usr/bin/${name}`);
  }
  return missing;
}

/**
 * Reports whether the ELF file at `file` is statically linked, which is when
 * it has no PT_INTERP program header naming a dynamic loader.
 *
 * @throws {RuntimeError} when `file` is not an ELF file.
 */
export async function isStaticElf(file: string): Promise<boolean> {
  using handle = await Deno.open(file);
  const header = await readAt(handle, 0, 64);
  const is64Bit = header[4] === 2;
  const littleEndian = header[5] === 1;
  const isElf = ELF_MAGIC.every((byte, i) => header[i] === byte) &&
    header.length >= (is64Bit ? 64 : 52) && [1, 2].includes(header[5]);
  if (!isElf) throw new RuntimeError(`${file} is not an ELF file`);

  const view = new DataView(header.buffer, header.byteOffset);
  const tableOffset = is64Bit
    ? Number(view.getBigUint64(32, littleEndian))
    : view.getUint32(28, littleEndian);
  const entrySize = view.getUint16(is64Bit ? 54 : 42, littleEndian);
  const entryCount = view.getUint16(is64Bit ? 56 : 44, littleEndian);
  const table = await readAt(handle, tableOffset, entrySize * entryCount);
  if (table.length < entrySize * entryCount) {
    throw new RuntimeError(`${file} is not an ELF file: truncated headers`);
  }

  const tableView = new DataView(table.buffer, table.byteOffset);
  for (let i = 0; i < entryCount; i++) {
    const type = tableView.getUint32(i * entrySize, littleEndian);
    if (type === PT_INTERP) return false;
  }
  return true;
}

/** Reads `length` bytes at `offset`, or fewer when the file ends first. */
async function readAt(
  handle: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  await handle.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const count = await handle.read(buffer.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return buffer.subarray(0, filled);
}

async function statOrUndefined(
  file: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function lstatOrUndefined(
  file: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function runCommand(
  command: string,
  args: string[],
  cwd?: string,
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

async function createDirectories(
  root: string,
  log: (line: string) => void,
): Promise<void> {
  const changed: string[] = [];
  for (const [name, mode] of DIRECTORIES) {
    const directory = path.join(root, name);
    const info = await statOrUndefined(directory);
    if (info?.isDirectory && (info.mode! & 0o7777) === mode) continue;

    await Deno.mkdir(directory, { recursive: true });
    // chmod, because mkdir applies the umask and drops the sticky bit.
    await Deno.chmod(directory, mode);
    changed.push(name);
  }
  if (changed.length > 0) log(`created ${changed.join(" ")} in ${root}`);
}

/** Rejects `file` unless it is a statically linked ELF executable. */
async function requireStaticBusybox(file: string): Promise<void> {
  let isStatic: boolean;
  try {
    isStatic = await isStaticElf(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RuntimeError(
        `busybox ${file} not found: ${GET_STATIC_BUSYBOX}`,
      );
    }
    if (!(error instanceof RuntimeError)) throw error;
    throw new RuntimeError(`busybox ${error.message}: ${GET_STATIC_BUSYBOX}`);
  }
  if (!isStatic) {
    throw new RuntimeError(
      `busybox ${file} is dynamically linked, but the rootfs has no shared libraries: ${GET_STATIC_BUSYBOX}`,
    );
  }
}

/**
 * Installs busybox at bin/busybox from the first source that applies: the
 * requested binary, an installed static busybox (kept), the host's busybox
 * when static, or Debian's busybox-static package.
 */
async function installBusybox(
  root: string,
  requested: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  const target = path.join(root, "bin/busybox");
  if (requested) {
    if (await copyExecutable(requested, target)) {
      log(`installed bin/busybox from ${requested}`);
    }
    return;
  }
  if (await isInstalledStaticElf(target)) return;

  const host = findOnPath("busybox");
  if (host && await isStaticElf(host)) {
    if (await copyExecutable(host, target)) {
      log(`installed bin/busybox from ${host}`);
    }
    return;
  }
  if (host) log(`${host} is dynamically linked, so using Debian's instead`);
  await installDebianBusybox(target);
  log("installed busybox from Debian's busybox-static");
}

/** Reports whether `file` exists and is a static ELF file. */
async function isInstalledStaticElf(file: string): Promise<boolean> {
  try {
    return await isStaticElf(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof RuntimeError) return false;
    throw error;
  }
}

/** Returns the first executable file called `name` in $PATH. */
function findOnPath(name: string): string | undefined {
  for (const directory of (Deno.env.get("PATH") ?? "").split(":")) {
    if (directory === "") continue;
    const candidate = path.join(directory, name);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode! & 0o111) !== 0) return candidate;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      if (error instanceof Deno.errors.NotADirectory) continue;
      throw error;
    }
  }
  return undefined;
}

/** Fetches busybox-static with apt-get into a temp dir and installs its busybox. */
async function installDebianBusybox(target: string): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "tsc-busybox-" });
  try {
    await runPackageTool("apt-get", ["download", "busybox-static"], work);
    const packages = await Array.fromAsync(
      Deno.readDir(work),
      (entry) => entry.name,
    );
    const archive = packages.find((name) => name.endsWith(".deb"));
    if (!archive) {
      throw new RuntimeError(
        `apt-get download busybox-static produced no .deb file: ${GET_STATIC_BUSYBOX}`,
      );
    }

    await runPackageTool("dpkg-deb", ["-x", archive, "unpacked"], work);
    const busybox = path.join(work, "unpacked/bin/busybox");
    await requireStaticBusybox(busybox);
    await copyExecutable(busybox, target);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

async function runPackageTool(
  command: string,
  args: string[],
  cwd: string,
): Promise<void> {
  const invocation = [command, ...args].join(" ");
  let output: Deno.CommandOutput;
  try {
    output = await runCommand(command, args, cwd);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new RuntimeError(`${command} not found: ${GET_STATIC_BUSYBOX}`);
  }
  if (!output.success) {
    const reason = decoder.decode(output.stderr).trim().split("\n").at(-1);
    throw new RuntimeError(
      `${invocation} failed: ${reason}: run apt-get update, or ${GET_STATIC_BUSYBOX}`,
    );
  }
}

/**
 * Copies `source` to `target` with mode 0755 unless the contents are equal,
 * and returns whether it copied. The copy is renamed into place, so a running
 * `target` is never rewritten.
 */
async function copyExecutable(
  source: string,
  target: string,
): Promise<boolean> {
  const bytes = await Deno.readFile(source);
  const current = await Deno.readFile(target).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  });
  if (current && isEqual(current, bytes)) return false;

  const temporary = temporaryPath(target);
  await Deno.writeFile(temporary, bytes, { mode: 0o755 });
  await Deno.chmod(temporary, 0o755);
  await Deno.rename(temporary, target);
  return true;
}

/**
 * Returns a unique sibling path for `file`, so that concurrent builds of one
 * tree never write the same temporary file.
 */
function temporaryPath(file: string): string {
  const suffix = crypto.randomUUID().slice(0, 8);
  return path.join(path.dirname(file), `.${path.basename(file)}.${suffix}`);
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Returns the applet paths that `busybox --list-full` prints, relative to /. */
async function listApplets(busybox: string): Promise<string[]> {
  const output = await runCommand(busybox, ["--list-full"]);
  if (!output.success) {
    const reason = decoder.decode(output.stderr).trim();
    throw new RuntimeError(`${busybox} --list-full failed: ${reason}`);
  }

  const applets = decoder.decode(output.stdout).split("\n").filter(Boolean);
  for (const applet of applets) {
    const normalized = path.posix.normalize(applet);
    if (normalized !== applet || applet.startsWith("../")) {
      throw new RuntimeError(
        `${busybox} --list-full printed an invalid applet path: ${applet}`,
      );
    }
  }
  return applets;
}

/**
 * Links each applet to bin/busybox with a relative symlink, so the links
 * resolve both inside the container and from the host. Existing files are
 * kept, which leaves the tracked usr/src tree alone.
 */
async function linkApplets(
  root: string,
  log: (line: string) => void,
): Promise<void> {
  let created = 0;
  for (const applet of await listApplets(path.join(root, "bin/busybox"))) {
    const link = path.join(root, applet);
    if (await lstatOrUndefined(link)) continue;

    await Deno.mkdir(path.dirname(link), { recursive: true });
    const target = path.posix.relative(
      path.posix.dirname(`/${applet}`),
      "/bin/busybox",
    );
    try {
      await Deno.symlink(target, link);
      created++;
    } catch (error) {
      // A concurrent build of the same tree may have created it first.
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  if (created > 0) log(`linked ${created} busybox applets`);
}

async function writeEtcFiles(
  root: string,
  log: (line: string) => void,
): Promise<void> {
  for (const [name, content] of Object.entries(ETC_FILES)) {
    const file = path.join(root, name);
    const current = await Deno.readTextFile(file).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    });
    if (current === content) continue;

    await Deno.writeTextFile(file, content, { mode: 0o644 });
    log(`wrote ${name}`);
  }
}

/** Returns the names of the programs whose binary is missing or older than its source. */
async function findStalePrograms(root: string): Promise<string[]> {
  const stale: string[] = [];
  for await (const entry of Deno.readDir(SOURCE_DIR)) {
    if (!entry.isFile || !entry.name.endsWith(".c")) continue;

    const name = entry.name.slice(0, -2);
    const source = await Deno.stat(path.join(SOURCE_DIR, entry.name));
    const binary = await statOrUndefined(path.join(root, "usr/bin", name));
    if (!binary || binary.mtime! < source.mtime!) stale.push(name);
  }
  return stale.sort();
}

/** Checks that gcc exists and finds a static libc, which `-static` needs. */
async function requireCompiler(): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await runCommand("gcc", ["-print-file-name=libc.a"]);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new RuntimeError(`C compiler gcc not found: ${INSTALL_COMPILER}`);
  }

  // gcc prints the bare name back when it finds no such file.
  const libc = decoder.decode(output.stdout).trim();
  if (!output.success || !path.isAbsolute(libc)) {
    throw new RuntimeError(
      `static C library libc.a not found by gcc: ${INSTALL_COMPILER}`,
    );
  }
}

async function compileProgram(
  root: string,
  name: string,
  log: (line: string) => void,
): Promise<void> {
  const source = path.join(SOURCE_DIR, `${name}.c`);
  const binary = path.join(root, "usr/bin", name);
  const temporary = temporaryPath(binary);
  const output = await runCommand("gcc", [...CFLAGS, "-o", temporary, source]);
  const messages = decoder.decode(output.stderr).trim();
  if (!output.success) {
    throw new RuntimeError(`compiling ${source} failed:\n${messages}`);
  }
  if (messages) log(`gcc printed warnings for ${name}.c:\n${messages}`);

  await Deno.rename(temporary, binary);
  log(`compiled usr/bin/${name}`);
}

const USAGE = "usage: deno task rootfs [--out DIR]\n" +
  "  Builds the busybox root filesystem into DIR (default: <repo>/rootfs).\n" +
  "  TSC_BUSYBOX=PATH installs that statically linked busybox.\n";

async function main(args: string[]): Promise<number> {
  let out: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      options: { out: { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
      Deno.stdout.writeSync(encoder.encode(USAGE));
      return 0;
    }
    out = values.out;
  } catch (error) {
    Deno.stderr.writeSync(encoder.encode(`${errorMessage(error)}\n${USAGE}`));
    return 2;
  }

  const dir = path.resolve(out ?? DEFAULT_ROOTFS);
  try {
    await buildRootfs(dir);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    logToStderr(`error: ${error.message}`);
    return 1;
  }
  logToStderr(`${dir} is ready`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
