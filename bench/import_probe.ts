// deno-lint-ignore-file no-console
/**
 * Imports the modules given as arguments one after another and prints, as
 * one JSON line, the milliseconds each import took and the time from the
 * process's time origin to the probe's first statement.
 *
 * usage: deno run --allow-all bench/import_probe.ts [--hold=MS] SPECIFIER...
 *
 * Given dependencies first, each import times that module's own loading
 * and evaluation. With --hold, the probe then waits MS milliseconds before
 * it exits, so its memory can be sampled. The bench runs it in fresh
 * processes.
 */
const startedMs = performance.now();
const hold = Deno.args[0]?.match(/^--hold=(\d+)$/);
const specifiers = hold ? Deno.args.slice(1) : Deno.args;
const importMs: number[] = [];
for (const specifier of specifiers) {
  const before = performance.now();
  await import(specifier);
  importMs.push(performance.now() - before);
}
console.log(JSON.stringify({ startedMs, importMs }));
if (hold) await new Promise((resolve) => setTimeout(resolve, Number(hold[1])));
