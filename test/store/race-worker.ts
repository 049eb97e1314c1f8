/**
 * Child process for the cross-process race test: waits for a common start time, then hammers
 * getOrCreateVersion (and a lease) for the same module sets as its siblings, and prints JSON.
 */
import { openMetadataStore } from "../../src/store/index.js";
import { versionInfo } from "./fixtures.js";

const [cacheDir, startAtText, setsText, owner] = process.argv.slice(2);
const store = openMetadataStore({ cacheDir });
const sets = Number(setsText);
const infos = Array.from({ length: sets }, (_, i) => versionInfo(`${i}`, 40));
while (Date.now() < Number(startAtText)) {
  // Busy-wait so that every sibling starts in the same millisecond.
}
let created = 0;
let leases = 0;
for (let round = 0; round < 3; round++) {
  for (const info of infos) {
    const result = store.getOrCreateVersion(info, null);
    if (result.created) created += 1;
    if (store.tryAcquireSyncLease(result.version.id, owner, 60_000)) leases += 1;
  }
}
store.close();
process.stdout.write(JSON.stringify({ created, leases }));
