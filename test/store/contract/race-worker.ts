/**
 * Child process for the cross-process race test: opens the store named by its options (any
 * backend), waits for a common start time, then hammers getOrCreateVersion (and a lease) for the
 * same module sets as its siblings, and prints JSON.
 */
import { openMetadataStore } from "../../../packages/client/src/store/index.js";
import { versionInfo } from "../fixtures.js";

const [optionsJson, startAtText, setsText, owner] = process.argv.slice(2);
const sets = Number(setsText);
const infos = Array.from({ length: sets }, (_, i) => versionInfo(`${i}`, 40));
while (Date.now() < Number(startAtText)) {
  // Busy-wait so that every sibling starts in the same millisecond (and opens a store nobody created).
}
const store = await openMetadataStore(JSON.parse(optionsJson));
let created = 0;
let leases = 0;
for (let round = 0; round < 3; round++) {
  for (const info of infos) {
    const result = await store.getOrCreateVersion(info, null);
    if (result.created) created += 1;
    if (await store.tryAcquireSyncLease(result.version.id, owner, 60_000)) leases += 1;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ created, leases }));
