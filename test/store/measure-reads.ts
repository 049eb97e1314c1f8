/**
 * Measurement script (not a test): `npx tsx test/store/measure-reads.ts <cache dir>` on an existing
 * SQLite cache (e.g. the query benchmark's): getPublicEntity through the asynchronous store, the
 * same read called synchronously on the adapter's modules (what the async wrapper costs), and the
 * member-rows read that the stored document replaces. Wall and CPU time per call, p50 / p99.
 */
import { join } from "node:path";
import { silentLogger } from "../../packages/client/src/logging.js";
import { openDatabase, SqliteConnection } from "../../packages/client/src/store/sqlite/connection.js";
import * as environments from "../../packages/client/src/store/sqlite/environments.js";
import { openSqliteStore } from "../../packages/client/src/store/sqlite/index.js";
import * as reads from "../../packages/client/src/store/sqlite/reads.js";
import type { PublicEntityRow } from "../../packages/client/src/store/sqlite/rows.js";

const path = join(process.argv[2] ?? "/tmp/d365fo-bench/query-large", "metadata-v2.db");
const samples = Number(process.argv[3] ?? 3000);
const store = await openSqliteStore(path);
const c = new SqliteConnection(path, openDatabase(path), silentLogger);
const versionId = (await store.listVersions()).filter((v) => v.status === "complete").at(-1)!.id;
const names = await store.listPublicEntityNames(versionId);
let seed = 42;
const pick = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return names[seed % names.length];
};
const inputs = Array.from({ length: samples }, pick);

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
async function time(label: string, fn: (name: string) => unknown) {
  for (const name of inputs.slice(0, 300)) await fn(name);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const name of inputs) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(name);
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000);
  }
  const f = (v: number) => v.toFixed(3);
  console.log(
    `${label.padEnd(44)} wall p50 ${f(pct(wall, 50))} p99 ${f(pct(wall, 99))} ms | cpu p50 ${f(pct(cpu, 50))} p99 ${f(pct(cpu, 99))} ms`,
  );
}

// The member-rows read (what schema 5 replaced), for comparison.
const rowRead = (name: string) => {
  const row = c.get<PublicEntityRow>(
    `SELECT p.* FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = ? AND v.name = ?`,
    versionId,
    name,
  );
  return row && reads.loadPublicEntityFromRows(c, row);
};

await time("getPublicEntity (async store, document)", (n) => store.getPublicEntity(versionId, n));
await time("getPublicEntity (sync modules, document)", (n) => reads.getPublicEntity(c, versionId, n));
await time("public entity from member rows (before)", rowRead);
// The wrapper on its own: a primary-key read where the query costs little. Blocks of each kind
// alternate and the fastest block counts, so other load on the machine does not decide.
const BLOCK = 5_000;
let direct = Number.POSITIVE_INFINITY;
let wrapped = Number.POSITIVE_INFINITY;
const cpuMicros = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};
for (let round = 0; round < 20; round++) {
  let c0 = process.cpuUsage();
  for (let i = 0; i < BLOCK; i++) environments.getVersion(c, versionId);
  direct = Math.min(direct, cpuMicros(c0) / BLOCK);
  c0 = process.cpuUsage();
  for (let i = 0; i < BLOCK; i++) await store.getVersion(versionId);
  wrapped = Math.min(wrapped, cpuMicros(c0) / BLOCK);
}
console.log(
  `getVersion CPU (fastest of 20 blocks of ${BLOCK}): sync ${direct.toFixed(2)} µs, async store ${wrapped.toFixed(2)} µs per call: wrapper ${(wrapped - direct).toFixed(2)} µs`,
);
await store.close();
c.close();
