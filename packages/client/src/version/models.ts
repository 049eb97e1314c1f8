import { createHash } from "node:crypto";
import type { VersionTrust } from "../store/types.js";

/** Thrown by `ModuleVersionInfo.parseFromString` for a line that is not a module description. */
export class ModuleParseError extends Error {
  readonly code = "D365_MODULE_PARSE";
  readonly line: string;
  constructor(message: string, line: string) {
    super(message);
    this.name = "ModuleParseError";
    this.line = line;
  }
}

export interface ModuleVersionInfoJson {
  name: string;
  version: string;
  moduleId: string;
  publisher: string;
  displayName: string;
}

const FIELD_KEYS = ["Name", "Version", "Module", "Publisher", "DisplayName"] as const;
type FieldKey = (typeof FIELD_KEYS)[number];
const REQUIRED_KEYS: readonly FieldKey[] = ["Name", "Version", "Module"];

/**
 * One line of `GetInstalledModules`:
 * `Name: <model> | Version: <a.b.c.d> | Module: <module> | Publisher: <text> | DisplayName: <text>`.
 */
export class ModuleVersionInfo {
  readonly name: string;
  readonly version: string;
  readonly moduleId: string;
  readonly publisher: string;
  readonly displayName: string;

  constructor(fields: ModuleVersionInfoJson) {
    this.name = fields.name;
    this.version = fields.version;
    this.moduleId = fields.moduleId;
    this.publisher = fields.publisher;
    this.displayName = fields.displayName;
  }

  /**
   * Parses by field keys rather than by position, so a `DisplayName` (or publisher) that itself
   * contains `" | "` or odd spacing still parses: a `|` only starts a new field when it is
   * followed by one of the five known keys and a colon.
   */
  static parseFromString(line: string): ModuleVersionInfo {
    if (typeof line !== "string" || line.trim() === "") {
      throw new ModuleParseError("Module line is empty", String(line));
    }
    const keyPattern = new RegExp(`(?:^|\\|)\\s*(${FIELD_KEYS.join("|")})\\s*:`, "g");
    const starts: { key: FieldKey; keyStart: number; valueStart: number }[] = [];
    for (const match of line.matchAll(keyPattern)) {
      const key = match[1] as FieldKey;
      // A key already seen means this "|<Key>:" is text inside the previous value (e.g. a DisplayName).
      if (starts.some((s) => s.key === key)) continue;
      starts.push({ key, keyStart: match.index ?? 0, valueStart: (match.index ?? 0) + match[0].length });
    }
    const values = new Map<FieldKey, string>();
    for (let i = 0; i < starts.length; i++) {
      const end = i + 1 < starts.length ? starts[i + 1].keyStart : line.length;
      values.set(starts[i].key, line.slice(starts[i].valueStart, end).trim());
    }
    const missing = REQUIRED_KEYS.filter((k) => !values.get(k));
    if (missing.length > 0) {
      throw new ModuleParseError(
        `Cannot parse module line (missing ${missing.join(", ")}): ${JSON.stringify(line.slice(0, 200))}`,
        line,
      );
    }
    return new ModuleVersionInfo({
      name: values.get("Name") as string,
      version: values.get("Version") as string,
      moduleId: values.get("Module") as string,
      publisher: values.get("Publisher") ?? "",
      displayName: values.get("DisplayName") ?? "",
    });
  }

  /** The line format the service sends; `parseFromString(x.toString())` round-trips. */
  toString(): string {
    return `Name: ${this.name} | Version: ${this.version} | Module: ${this.moduleId} | Publisher: ${this.publisher} | DisplayName: ${this.displayName}`;
  }

  toJSON(): ModuleVersionInfoJson {
    return {
      name: this.name,
      version: this.version,
      moduleId: this.moduleId,
      publisher: this.publisher,
      displayName: this.displayName,
    };
  }
}

/**
 * SHA-256 hex of the `moduleId:version` pairs sorted by module id and joined with `|`
 * (the specification's `_compute_modules_hash`); an empty list hashes the string `empty`.
 * Sorting is by UTF-16 code unit, like Python's default string sort for these ASCII ids.
 */
export function computeModulesHash(
  modules: readonly Pick<ModuleVersionInfo, "moduleId" | "version">[],
): string {
  if (modules.length === 0) return createHash("sha256").update("empty").digest("hex");
  // Module id first, as the specification sorts; the version breaks ties because one module can ship
  // several models (ApplicationSuite ships ApplicationSuite and Foundation): without a tie-break the
  // hash would depend on the order the service listed them in.
  const sorted = [...modules].sort(
    (a, b) => compareCodeUnits(a.moduleId, b.moduleId) || compareCodeUnits(a.version, b.version),
  );
  const input = sorted.map((m) => `${m.moduleId}:${m.version}`).join("|");
  return createHash("sha256").update(input, "utf8").digest("hex");
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const VERSION_HASH_LENGTH = 16;

export interface EnvironmentVersionInfoInit {
  modules: readonly ModuleVersionInfo[];
  environmentId?: number;
  versionHash?: string;
  modulesHash?: string;
  applicationVersion?: string | null;
  applicationBuildVersion?: string | null;
  platformVersion?: string | null;
  computedAt?: Date;
  isActive?: boolean;
  trust?: VersionTrust;
  labelsComplete?: boolean;
}

/** An environment's version: its module list and the hashes derived from it. */
export class EnvironmentVersionInfo {
  environmentId: number;
  readonly modules: readonly ModuleVersionInfo[];
  /** SHA-256 hex over all modules; the identity used for sharing. */
  readonly modulesHash: string;
  /** First 16 characters of `modulesHash`; short, for display and compatibility. */
  readonly versionHash: string;
  readonly applicationVersion: string | null;
  readonly applicationBuildVersion: string | null;
  readonly platformVersion: string | null;
  readonly computedAt: Date;
  isActive: boolean;
  /**
   * Set when the info comes from the store: how far the stored version is trusted (an imported
   * Python cache version may be `imported`, `needsReverification` or `legacy`). Absent for a live detection.
   */
  readonly trust?: VersionTrust;
  /**
   * Set when the info comes from the store: false while the version is served schema first (its
   * entities and enumerations are complete, its label texts are still being fetched).
   */
  readonly labelsComplete?: boolean;

  constructor(init: EnvironmentVersionInfoInit) {
    this.modules = [...init.modules];
    this.environmentId = init.environmentId ?? 0;
    this.modulesHash = init.modulesHash || computeModulesHash(this.modules);
    this.versionHash = init.versionHash || this.modulesHash.slice(0, VERSION_HASH_LENGTH);
    this.applicationVersion = init.applicationVersion ?? null;
    this.applicationBuildVersion = init.applicationBuildVersion ?? null;
    this.platformVersion = init.platformVersion ?? null;
    this.computedAt = init.computedAt ?? new Date();
    this.isActive = init.isActive ?? true;
    if (init.trust !== undefined) this.trust = init.trust;
    if (init.labelsComplete !== undefined) this.labelsComplete = init.labelsComplete;
  }

  toJSON(): Record<string, unknown> {
    return {
      environmentId: this.environmentId,
      versionHash: this.versionHash,
      modulesHash: this.modulesHash,
      applicationVersion: this.applicationVersion,
      applicationBuildVersion: this.applicationBuildVersion,
      platformVersion: this.platformVersion,
      modules: this.modules.map((m) => m.toJSON()),
      computedAt: this.computedAt.toISOString(),
      isActive: this.isActive,
      ...(this.trust === undefined ? {} : { trust: this.trust }),
      ...(this.labelsComplete === undefined ? {} : { labelsComplete: this.labelsComplete }),
    };
  }
}
