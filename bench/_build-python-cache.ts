/**
 * `tsx bench/_build-python-cache.ts <out.db> <preset> <baseUrl>=<upgradeStep> …`: writes a
 * Python-format v2 cache (the layout and defects of python-cache-formats.md, as the Python tool
 * would have synced it) of the emulator's data for those environments. Run as a child process by
 * bench/import.ts so the benchmark's own memory is the import's alone.
 */

import type { Label } from "../packages/client/src/metadata/models.js";
import {
  parseDataEntity,
  parseEnumeration,
  parsePublicEntity,
} from "../packages/client/src/metadata/parse.js";
import { referencedLabelIds } from "../packages/client/src/migration/repair.js";
import {
  type PythonV2EnvironmentSpec,
  type PythonV2VersionSpec,
  writePythonV2Cache,
} from "../packages/client/src/store/sqlite/python/fixture-writer.js";
import { generateRelease } from "../packages/emulator/src/model/index.js";
import type { PresetName } from "../packages/emulator/src/model/types.js";

const [out, preset, ...envArgs] = process.argv.slice(2);
const steps = [...new Set(envArgs.map((a) => Number(a.split("=")[1])))];
const versions: PythonV2VersionSpec[] = steps.map((step) => {
  const release = generateRelease({ preset: preset as PresetName, upgradeStep: step });
  const base = {
    dataEntities: release.dataEntities.map((e) => parseDataEntity(e)),
    publicEntities: release.publicEntities.map((e) => parsePublicEntity(e)),
    enumerations: release.enumerations.map((e) => parseEnumeration(e)),
  };
  const english = release.labels.get("en-us") ?? new Map<string, string>();
  const lower = new Map([...english].map(([id, text]) => [id.toLowerCase(), text]));
  const labels: Label[] = [];
  for (const id of referencedLabelIds(base)) {
    const value = lower.get(id.toLowerCase());
    if (value !== undefined) labels.push({ id, language: "en-US", value });
  }
  return { modules: release.modules.map((m) => ({ ...m })), content: { ...base, labels } };
});
const environments: PythonV2EnvironmentSpec[] = envArgs.map((a) => {
  const [baseUrl, step] = a.split("=");
  return { baseUrl, version: steps.indexOf(Number(step)), lastSyncAt: "2026-12-01 08:00:00" };
});
writePythonV2Cache(out, { versions, environments });
