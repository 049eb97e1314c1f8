/**
 * The contract between the emulator's metadata generator (`src/emulator/model/`) and its HTTP
 * server (`src/emulator/server/`): a *release* is everything an environment serves.
 * Two environments on the same release serve byte-identical metadata.
 */
import type { DataEntityJson, PublicEntityJson, PublicEnumerationJson } from "../../metadata/wire.js";

export type PresetName = "tiny" | "medium" | "large";

export interface InstalledModule {
  name: string;
  version: string;
  moduleId: string;
  publisher: string;
  displayName: string;
}

export interface EmulatorRelease {
  /** Stable identifier, e.g. `10.0.43` for a base release and `10.0.43+u1` for its first upgrade. */
  id: string;
  preset: PresetName;
  seed: number;
  /** Upgrade step: 0 for the base release, n for the n-th upgrade. */
  upgradeStep: number;
  /** Product version, e.g. `10.0.43`. */
  productVersion: string;
  /** What `GetApplicationVersion` answers. */
  applicationVersion: string;
  /** What `GetApplicationBuildVersion` answers, e.g. `10.0.2177.37`. */
  applicationBuildVersion: string;
  /** What `GetPlatformBuildVersion` answers, e.g. `7.0.7521.60`. */
  platformBuildVersion: string;
  modules: readonly InstalledModule[];
  dataEntities: readonly DataEntityJson[];
  publicEntities: readonly PublicEntityJson[];
  enumerations: readonly PublicEnumerationJson[];
  /**
   * Label texts by language (lowercase BCP-47 tag, e.g. `en-us`, `de-de`), then by label id
   * (exact case: `@sys2048` and `@SYS2048` are different ids).
   */
  labels: ReadonlyMap<string, ReadonlyMap<string, string>>;
}
