/**
 * The contract between the emulator's metadata generator (`src/emulator/model/`) and its HTTP
 * server (`src/emulator/server/`): a *release* is everything an environment serves.
 * Two environments on the same release serve byte-identical metadata.
 */
import type { DataEntityJson, PublicEntityJson, PublicEnumerationJson } from "d365fo-client";

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
  /** For an upgrade step (n > 0): what changed relative to step n-1. */
  changeLog?: UpgradeChangeLog;
}

/** Target sizes of a preset (protocol §6). */
export interface PresetSize {
  dataEntities: number;
  /** Public (OData-enabled) entities; each has a DataServiceEnabled data entity. */
  publicEntities: number;
  enumerations: number;
  modules: number;
  /** Total properties over all public entities (approximate target). */
  properties: number;
  /** Distinct label ids referenced by entities, properties, enums and members (approximate target). */
  labelIds: number;
  /** Bound actions over all public entities, besides the versioning actions. */
  boundActions: number;
}

export interface PropertyRef {
  entity: string;
  property: string;
}

/** What one upgrade step changed relative to the previous step (names are public-entity names). */
export interface UpgradeChangeLog {
  fromStep: number;
  toStep: number;
  fromReleaseId: string;
  toReleaseId: string;
  /** Modules whose version changed, with the old and new version. */
  modulesChanged: { name: string; moduleId: string; from: string; to: string }[];
  entitiesAdded: string[];
  entitiesRemoved: string[];
  /** Public entities present in both steps whose JSON differs (includes navigation clean-ups). */
  entitiesModified: string[];
  dataEntitiesAdded: string[];
  dataEntitiesRemoved: string[];
  propertiesAdded: PropertyRef[];
  propertiesRemoved: PropertyRef[];
  propertiesRetyped: (PropertyRef & { fromTypeName: string; toTypeName: string })[];
  /** Label ids whose text changed (in every language that has them). */
  labelsChanged: string[];
  /** Label ids that did not exist before. */
  labelsAdded: string[];
  enumMembersAdded: { enumeration: string; member: string; value: number }[];
}
