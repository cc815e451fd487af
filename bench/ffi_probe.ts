// deno-lint-ignore-file no-console
/**
 * Times the first and the second call through ffi/libc.ts in a fresh
 * process: the first one opens libc and binds every symbol of the FFI layer.
 * The call is prctl(PR_SET_PDEATHSIG, 0), which clears the probe's own
 * parent-death signal and changes nothing else. Prints one JSON line.
 *
 * usage: deno run --allow-all bench/ffi_probe.ts
 */
import { libc } from "../ffi/libc.ts";

const started = performance.now();
libc.setParentDeathSignal(0);
const firstMs = performance.now() - started;

const again = performance.now();
libc.setParentDeathSignal(0);
const secondMs = performance.now() - again;

console.log(JSON.stringify({ firstMs, secondMs }));
