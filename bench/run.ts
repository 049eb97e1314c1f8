/**
 * Benchmark runner: `npm run bench -- <name> [--json] [other flags]`.
 * Each benchmark is `bench/<name>.ts` exporting `run(args)`, which returns one JSON-serialisable
 * object of figures plus rows for the human table. With `--json`, exactly one JSON object is
 * printed on stdout and everything else (progress, logs) goes to stderr.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Table from "cli-table3";

export interface BenchRow {
  metric: string;
  value: string | number;
  note?: string;
}

export interface BenchResult {
  /** Machine-readable figures; printed as the single JSON object with `--json`. */
  figures: Record<string, unknown>;
  /** Human table rows. */
  rows: BenchRow[];
}

export interface BenchArgs {
  json: boolean;
  /** Remaining command-line flags, e.g. `--preset medium`. */
  flags: Record<string, string | boolean>;
  /** Progress output for humans (stderr). */
  log: (message: string) => void;
}

function parseFlags(argv: string[]): Record<string, string | boolean> {
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) continue;
    const [key, inline] = arg.slice(2).split("=", 2);
    if (inline !== undefined) flags[key] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags[key] = argv[++i];
    else flags[key] = true;
  }
  return flags;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const name = argv.find((a) => !a.startsWith("--"));
  const here = dirname(fileURLToPath(import.meta.url));
  const available = readdirSync(here)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
    .map((f) => f.replace(/\.ts$/, ""));
  if (!name || !available.includes(name)) {
    process.stderr.write(`usage: npm run bench -- <${available.join("|")}> [--json]\n`);
    return 2;
  }
  const flags = parseFlags(argv.filter((a) => a !== name));
  const json = flags.json === true;
  const module = (await import(join(here, `${name}.ts`))) as {
    run: (args: BenchArgs) => Promise<BenchResult>;
  };
  const result = await module.run({ json, flags, log: (m) => process.stderr.write(`${m}\n`) });
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: name, ...result.figures })}\n`);
  } else {
    const table = new Table({ head: ["metric", "value", "note"] });
    for (const row of result.rows) table.push([row.metric, String(row.value), row.note ?? ""]);
    process.stdout.write(`${name}\n${table.toString()}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
