// deno-lint-ignore-file no-console
/**
 * Times consecutive `Deno.Command` spawns of `ip -batch -` in one process,
 * the way the runtime runs `ip`: stdin piped with the batch, stdout and
 * stderr collected. The batch only reads (`link show lo`), so the probe
 * changes nothing. Prints the milliseconds of each spawn as one JSON line.
 *
 * usage: deno run --allow-all bench/spawn_probe.ts IP_PATH COUNT
 */
const [ipPath, countText] = Deno.args;
const encoder = new TextEncoder();
const spawnMs: number[] = [];
for (let index = 0; index < Number(countText); index++) {
  const started = performance.now();
  const child = new Deno.Command(ipPath, {
    args: ["-batch", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode("link show lo\n"));
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error(`ip -batch - failed: ${output.code}`);
  spawnMs.push(performance.now() - started);
}
console.log(JSON.stringify({ spawnMs }));
