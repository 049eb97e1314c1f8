/** `npx tsx test/store/profile-search.ts <dir>`: per-query wall and CPU time on an existing store. */
import { openMetadataStore } from "../../packages/client/src/store/index.js";

const store = await openMetadataStore({ cacheDir: process.argv[2] });
const versionId = (await store.listVersions()).at(-1)!.id;
const queries: [string[], boolean][] = [
  [["customer"], false],
  [["cust"], true],
  [["sales", "order"], false],
  [["invoice"], false],
  [["account"], false],
  [["vend"], true],
  [["customers"], false],
  [["amount"], false],
  [["pro"], true],
  [["CustomerV3"], false],
];
const t0 = performance.now();
await store.search({
  versionId,
  terms: ["x"],
  prefixLastTerm: false,
  language: "en-us",
  limit: 20,
  offset: 0,
});
console.log(`first search (builds the version scope): ${(performance.now() - t0).toFixed(1)} ms`);
for (const [terms, prefixLastTerm] of queries) {
  const wall: number[] = [];
  const c0 = process.cpuUsage();
  let total = 0;
  const n = 40;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    total = (
      await store.search({ versionId, terms, prefixLastTerm, language: "en-us", limit: 20, offset: 0 })
    ).total;
    wall.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(c0);
  wall.sort((a, b) => a - b);
  console.log(
    `${JSON.stringify(terms)}${prefixLastTerm ? "*" : ""} total=${total} wall p50 ${wall[n / 2].toFixed(2)} p99 ${wall[n - 1].toFixed(2)} ms, cpu avg ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms`,
  );
}
const names = await store.listPublicEntityNames(versionId);
const c0 = process.cpuUsage();
const wall: number[] = [];
for (const name of names) {
  const t = performance.now();
  await store.getPublicEntity(versionId, name);
  wall.push(performance.now() - t);
}
const cpu = process.cpuUsage(c0);
wall.sort((a, b) => a - b);
console.log(
  `getPublicEntity n=${names.length} wall p50 ${wall[Math.floor(names.length / 2)].toFixed(3)} p99 ${wall[Math.floor(names.length * 0.99)].toFixed(3)} ms, cpu avg ${((cpu.user + cpu.system) / 1000 / names.length).toFixed(3)} ms`,
);
await store.close();
