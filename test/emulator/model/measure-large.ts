/**
 * Measures the `large` preset: generation time, upgrade time, CSDL time and sizes, peak RSS.
 * Run: `npx tsx test/emulator/model/measure-large.ts [--json]` (not a test; figures only).
 */
import { generateRelease, renderCsdl } from "../../../packages/emulator/src/model/index.js";

let peakRss = process.memoryUsage().rss;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 20);
const t0 = performance.now();
const base = generateRelease({ preset: "large" });
const t1 = performance.now();
sample();
const rssAfterBase = process.memoryUsage().rss;
const up = generateRelease({ preset: "large", upgradeStep: 1 });
const t2 = performance.now();
sample();
const rssAfterUpgrade = process.memoryUsage().rss;
const csdl = renderCsdl(base);
const t3 = performance.now();
sample();
const publicJson = Buffer.byteLength(JSON.stringify({ value: base.publicEntities }));
const dataJson = Buffer.byteLength(JSON.stringify({ value: base.dataEntities }));
const enumJson = Buffer.byteLength(JSON.stringify({ value: base.enumerations }));
sample();
clearInterval(timer);
const figures = {
  generateLargeMs: Math.round(t1 - t0),
  upgradeStep1Ms: Math.round(t2 - t1),
  renderCsdlMs: Math.round(t3 - t2),
  rssAfterBaseMB: Math.round(rssAfterBase / 1e6),
  rssAfterUpgradeMB: Math.round(rssAfterUpgrade / 1e6),
  peakRssMB: Math.round(peakRss / 1e6),
  publicEntitiesJsonMB: +(publicJson / 1e6).toFixed(2),
  dataEntitiesJsonMB: +(dataJson / 1e6).toFixed(2),
  enumerationsJsonMB: +(enumJson / 1e6).toFixed(2),
  csdlMB: +(Buffer.byteLength(csdl) / 1e6).toFixed(2),
  publicEntities: base.publicEntities.length,
  properties: base.publicEntities.reduce((n, e) => n + e.Properties.length, 0),
  navigationProperties: base.publicEntities.reduce((n, e) => n + e.NavigationProperties.length, 0),
  actions: base.publicEntities.reduce((n, e) => n + e.Actions.length, 0),
  labelIds: base.labels.get("en-us")?.size,
  upgradeChangedEntities:
    (up.changeLog?.entitiesAdded.length ?? 0) +
    (up.changeLog?.entitiesRemoved.length ?? 0) +
    (up.changeLog?.entitiesModified.length ?? 0),
};
console.log(process.argv.includes("--json") ? JSON.stringify(figures) : figures);
