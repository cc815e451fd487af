/** Progress lines on stderr while the bench runs. */

const encoder = new TextEncoder();
const started = performance.now();

/** Prints `message` to stderr, prefixed with the seconds since the start. */
export function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const bytes = encoder.encode(`[bench ${seconds.padStart(6)}s] ${message}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}
