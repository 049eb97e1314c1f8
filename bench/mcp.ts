/**
 * `npm run bench -- mcp [--preset large] [--iterations 200] [--json]`
 *
 * The real `d365fo mcp` bin over stdio, driven by the SDK Client against the emulator (in this
 * process): after a sync, round-trip p50/p99 of `search` and `describe_entity`, and the size in
 * bytes of `describe_entity` (compact and full) for the median and the largest of the entities
 * that a set of broad searches returns (up to 500). Needs `npx tsc -p tsconfig.build.json`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { silentLogger } from "../packages/client/src/logging.js";
import { startEmulator } from "../packages/emulator/src/index.js";
import type { PresetName } from "../packages/emulator/src/model/types.js";
import { round, summarize } from "./_stats.js";
import type { BenchArgs, BenchResult } from "./run.js";

const BIN = join(
  resolve(dirname(fileURLToPath(import.meta.url)), ".."),
  "packages",
  "cli",
  "bin",
  "d365fo.js",
);
const WORDS = [
  "customer",
  "vendor",
  "sales",
  "purchase",
  "ledger",
  "inventory",
  "project",
  "worker",
  "asset",
  "bank",
];

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "large") as PresetName;
  const iterations = Number(args.flags.iterations ?? 200);
  const emulator = await startEmulator({
    preset,
    environments: [{ name: "dev", release: 0 }],
    logger: silentLogger,
  });
  const dir = mkdtempSync(join(tmpdir(), "d365fo-bench-mcp-"));
  const client = new Client({ name: "bench", version: "1.0.0" });
  try {
    mkdirSync(join(dir, "config"));
    const { tenantId, clientId, clientSecret } = emulator.credentials;
    const profiles = {
      dev: {
        baseUrl: emulator.environment("dev").baseUrl,
        tenantId,
        clientId,
        clientSecret,
        authorityHost: emulator.authorityHost,
        default: true,
      },
    };
    writeFileSync(join(dir, "config", "profiles.json"), JSON.stringify({ version: 1, profiles }), {
      mode: 0o600,
    });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !/^(D365FO_|AZURE_)/.test(k)) env[k] = v;
    Object.assign(env, {
      HOME: dir,
      D365FO_CONFIG_DIR: join(dir, "config"),
      D365FO_CACHE_DIR: join(dir, "cache"),
      NODE_EXTRA_CA_CERTS: emulator.caCertificatePath,
    });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [BIN, "mcp"], env, stderr: "ignore" }),
    );
    args.log(`syncing ${preset}…`);
    const synced = await client.callTool({ name: "sync", arguments: {} }, undefined, { timeout: 3_600_000 });
    if (synced.isError) throw new Error(JSON.stringify(synced.content));

    const names = new Set<string>();
    for (const word of WORDS) {
      const page = await client.callTool({
        name: "search",
        arguments: { text: word, kinds: ["publicEntity"], limit: 50 },
      });
      for (const hit of (page.structuredContent as { hits: { name: string }[] }).hits) names.add(hit.name);
    }
    const entities = [...names];
    args.log(`${entities.length} entities sampled`);

    const sizes: { name: string; compact: number; full: number }[] = [];
    for (const name of entities) {
      const compact = await client.callTool({ name: "describe_entity", arguments: { name } });
      const full = await client.callTool({ name: "describe_entity", arguments: { name, detail: "full" } });
      sizes.push({
        name,
        compact: Buffer.byteLength(JSON.stringify(compact.structuredContent)),
        full: Buffer.byteLength(JSON.stringify(full.structuredContent)),
      });
    }
    sizes.sort((a, b) => a.full - b.full);
    const median = sizes[Math.floor(sizes.length / 2)];
    const largest = sizes[sizes.length - 1];

    const searchMs: number[] = [];
    const describeMs: number[] = [];
    for (let i = 0; i < iterations; i++) {
      let started = performance.now();
      await client.callTool({ name: "search", arguments: { text: WORDS[i % WORDS.length], limit: 20 } });
      searchMs.push(performance.now() - started);
      started = performance.now();
      await client.callTool({ name: "describe_entity", arguments: { name: entities[i % entities.length] } });
      describeMs.push(performance.now() - started);
    }
    const search = summarize(searchMs);
    const describe = summarize(describeMs);
    const figures = {
      preset,
      iterations,
      entitiesSampled: entities.length,
      searchMs: search,
      describeEntityMs: describe,
      describeEntityBytes: {
        median: { name: median.name, compact: median.compact, full: median.full },
        largest: { name: largest.name, compact: largest.compact, full: largest.full },
      },
    };
    return {
      figures,
      rows: [
        {
          metric: "search p50 / p99 (ms)",
          value: `${round(search.p50, 2)} / ${round(search.p99, 2)}`,
          note: "target p99 ≤ 20",
        },
        {
          metric: "describe_entity p50 / p99 (ms)",
          value: `${round(describe.p50, 2)} / ${round(describe.p99, 2)}`,
          note: "target p99 ≤ 20",
        },
        {
          metric: "describe_entity median entity compact / full (B)",
          value: `${median.compact} / ${median.full}`,
          note: `${median.name}; target compact ≤ 4096`,
        },
        {
          metric: "describe_entity largest entity compact / full (B)",
          value: `${largest.compact} / ${largest.full}`,
          note: largest.name,
        },
      ],
    };
  } finally {
    await client.close().catch(() => {});
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
