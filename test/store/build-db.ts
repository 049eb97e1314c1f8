/** `npx tsx test/store/build-db.ts <preset> <dir>`: loads release 0 and upgrade 1 into <dir> (kept). */
import { generateRelease } from "../../src/emulator/model/index.js";
import type { PresetName } from "../../src/emulator/model/types.js";
import { openMetadataStore } from "../../src/store/index.js";
import { loadRelease, releaseModels } from "./release-loader.js";

const preset = (process.argv[2] ?? "large") as PresetName;
const store = openMetadataStore({ cacheDir: process.argv[3] });
for (const step of [0, 1]) {
  const { versionId } = loadRelease(store, releaseModels(generateRelease({ preset, upgradeStep: step })));
  console.log(`step ${step} -> version ${versionId}`);
}
store.close();
