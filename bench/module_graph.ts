/**
 * The modules a start loads, found by scanning the runtime's source for
 * static imports, in an order where every module comes after the modules
 * it imports. Importing them one by one in that order times each module's
 * own cost.
 */
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO } from "./context.ts";

/**
 * Entry points of the two processes of a start: the modules that main.ts
 * and the CLI import dynamically on the way to `run`, and the init stage.
 */
export const RUNTIME_ENTRIES = [
  "src/cli.ts",
  "src/container/run_config.ts",
  "src/container/run.ts",
];
export const INIT_ENTRIES = ["src/init/main.ts"];

/** A module to import: a file URL for local modules, else the specifier. */
export interface ModuleRef {
  /** Label for the report: a repository path or the bare specifier. */
  label: string;
  specifier: string;
}

// Static `import ... from "x"`, `import "x"` and `export ... from "x"`,
// except `import type` and `export type`, which TypeScript erases. The
// clause before `from` may only hold names, braces, commas and `*`.
const STATIC_IMPORT =
  /^\s*(?:import|export)\s+(?!type\s)(?:[\w\s{},*$]*?\sfrom\s*)?["']([^"']+)["']/gm;

function importsOf(file: string): string[] {
  const source = Deno.readTextFileSync(file);
  return [...source.matchAll(STATIC_IMPORT)].map((match) => match[1]);
}

function isLocal(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../");
}

/**
 * Lists the modules reachable from `entries` (repository-relative paths)
 * through static imports, dependencies first and `node:` built-ins before
 * everything else. External specifiers (`node:`, `npm:` and import-map
 * names) are leaves.
 */
export function modulesInLoadOrder(entries: string[]): ModuleRef[] {
  const order: ModuleRef[] = [];
  const seen = new Set<string>();
  const visit = (specifier: string, file?: string) => {
    const id = file ?? specifier;
    if (seen.has(id)) return;
    seen.add(id);
    if (file) {
      for (const imported of importsOf(file)) {
        if (isLocal(imported)) {
          visit(imported, resolve(dirname(file), imported));
        } else visit(imported);
      }
      order.push({
        label: relative(REPO, file),
        specifier: pathToFileURL(file).href,
      });
    } else {
      order.push({ label: specifier, specifier });
    }
  };
  for (const entry of entries) visit(entry, join(REPO, entry));
  // Built-ins are leaves, so loading them first keeps the order valid, and
  // the first one then carries the start of Deno's Node compatibility layer
  // alone instead of adding it to whichever module comes first.
  const builtins = order.filter((module) =>
    module.specifier.startsWith("node:")
  );
  const others = order.filter((module) =>
    !module.specifier.startsWith("node:")
  );
  return [...builtins, ...others];
}
