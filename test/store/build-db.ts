/** `npx tsx test/store/build-db.ts <preset> <dir>`: loads release 0 and upgrade 1 into <dir> (kept). */

import { openMetadataStore } from "../../packages/client/src/store/index.js";
import { generateRelease } from "../../packages/emulator/src/model/index.js";
import type { PresetName } from "../../packages/emulator/src/model/types.js";
import { loadRelease, releaseModels } from "./release-loader.js";

const preset = (process.argv[2] ?? "large") as PresetName;
const store = await openMetadataStore({ cacheDir: process.argv[3] });
for (const step of [0, 1]) {
  const { versionId } = await loadRelease(
    store,
    releaseModels(generateRelease({ preset, upgradeStep: step })),
  );
  console.log(`step ${step} -> version ${versionId}`);
}
await store.close();
