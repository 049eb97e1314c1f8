/** Shared pieces of the migration tests: temp folders, the real fixture, emulator release content. */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Label } from "../../packages/client/src/metadata/models.js";
import { referencedLabelIds } from "../../packages/client/src/migration/repair.js";
import type { PythonVersionContent } from "../../packages/client/src/migration/types.js";
import type { ModuleVersionInfoJson } from "../../packages/client/src/version/models.js";
import { generateRelease } from "../../packages/emulator/src/model/index.js";
import type { PresetName } from "../../packages/emulator/src/model/types.js";
import { releaseModels } from "../store/release-loader.js";

/** The real Python cache of `../shared/fixtures` beside the repository (as CI lays it out). */
const FIXTURE_PATH = join("shared", "fixtures", "python-cache", "python-v2-tiny-metadata_v2.db");
const FIXTURE_CANDIDATES = [
  join(fileURLToPath(new URL("../../..", import.meta.url)), FIXTURE_PATH),
  join("/work", FIXTURE_PATH),
];
export const FIXTURE = FIXTURE_CANDIDATES.find((path) => existsSync(path)) ?? FIXTURE_CANDIDATES[0];
export const FIXTURE_BASE_URL = "http://127.0.0.1:47311";

export function tempDir(prefix = "migration"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `d365fo-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of the real fixture in `dir` (the original is never opened by the tests' writers). */
export function copyFixture(dir: string, name = "metadata_v2.db"): string {
  const path = join(dir, name);
  copyFileSync(FIXTURE, path);
  return path;
}

/** Content hash, size and mtime of every file in a folder: to assert that nothing changed. */
export function folderSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const s = statSync(path);
    if (!s.isFile()) continue;
    out[name] = `${createHash("sha256").update(readFileSync(path)).digest("hex")}:${s.size}:${s.mtimeMs}`;
  }
  return out;
}

export interface ReleaseContent {
  modules: ModuleVersionInfoJson[];
  content: PythonVersionContent;
  applicationVersion: string;
  platformVersion: string;
}

/**
 * An emulator release as the Python tool would have synced it: the metadata, and the en-US label
 * texts of the ids the metadata references (the only ones it fetched).
 */
export function releaseContent(preset: PresetName = "tiny", upgradeStep = 0): ReleaseContent {
  const release = generateRelease({ preset, upgradeStep });
  const models = releaseModels(release);
  const base = {
    dataEntities: models.dataEntities,
    publicEntities: models.publicEntities,
    enumerations: models.enumerations,
  };
  const english = new Map<string, string>();
  for (const l of models.labels)
    if (l.language.toLowerCase() === "en-us") english.set(l.id.toLowerCase(), l.value);
  const labels: Label[] = [];
  for (const id of referencedLabelIds(base)) {
    const value = english.get(id.toLowerCase());
    if (value !== undefined) labels.push({ id, language: "en-US", value });
  }
  return {
    modules: release.modules.map((m) => ({ ...m })),
    content: { ...base, labels },
    applicationVersion: release.applicationVersion,
    platformVersion: release.platformBuildVersion,
  };
}

/** The module list with one more line whose DisplayName holds ` | ` (the Python tool dropped such lines). */
export function withPipeModule(modules: readonly ModuleVersionInfoJson[]): ModuleVersionInfoJson[] {
  return [
    ...modules,
    {
      name: "ContosoIntegration",
      moduleId: "ContosoIntegration",
      version: "1.2.3.4",
      publisher: "Contoso Ltd",
      displayName: "Contoso | Integration pack",
    },
  ];
}
