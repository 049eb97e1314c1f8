/** Loads an emulator release into a store through the HTTP engineer's parsers (wire → models). */

import type {
  DataEntity,
  Enumeration,
  Label,
  PublicEntity,
} from "../../packages/client/src/metadata/models.js";
import {
  parseDataEntity,
  parseEnumeration,
  parsePublicEntity,
} from "../../packages/client/src/metadata/parse.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import type { EmulatorRelease } from "../../packages/emulator/src/model/types.js";

export interface ReleaseModels {
  info: EnvironmentVersionInfo;
  dataEntities: DataEntity[];
  publicEntities: PublicEntity[];
  enumerations: Enumeration[];
  labels: Label[];
}

export function releaseModels(release: EmulatorRelease): ReleaseModels {
  const labels: Label[] = [];
  for (const [language, texts] of release.labels) {
    for (const [id, value] of texts) labels.push({ id, language, value });
  }
  return {
    info: new EnvironmentVersionInfo({
      modules: release.modules.map((m) => new ModuleVersionInfo(m)),
      applicationVersion: release.applicationVersion,
      applicationBuildVersion: release.applicationBuildVersion,
      platformVersion: release.platformBuildVersion,
    }),
    dataEntities: release.dataEntities.map((e) => parseDataEntity(e)),
    publicEntities: release.publicEntities.map((e) => parsePublicEntity(e)),
    enumerations: release.enumerations.map((e) => parseEnumeration(e)),
    labels,
  };
}

/** Writes a release as a sync would (chunks of `chunk` items per transaction) and completes it. */
export async function loadRelease(store: MetadataStore, models: ReleaseModels, chunk = 500) {
  const { version } = await store.getOrCreateVersion(models.info, null);
  const timings: Record<string, number> = {};
  const phases: [string, (items: never[]) => unknown, unknown[]][] = [
    ["dataEntities", (items) => store.writeDataEntities(version.id, items), models.dataEntities],
    ["publicEntities", (items) => store.writePublicEntities(version.id, items), models.publicEntities],
    ["enumerations", (items) => store.writeEnumerations(version.id, items), models.enumerations],
    ["labels", (items) => store.writeLabels(version.id, items), models.labels],
  ];
  let rowsWritten = 0;
  for (const [name, write, items] of phases) {
    const started = performance.now();
    for (let i = 0; i < items.length; i += chunk) {
      const result = (await write(items.slice(i, i + chunk) as never[])) as { rowsWritten: number };
      rowsWritten += result.rowsWritten;
    }
    timings[name] = performance.now() - started;
  }
  await store.completeVersion(version.id);
  return { versionId: version.id, rowsWritten, timings };
}
