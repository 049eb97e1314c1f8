/**
 * The dry run (pure): from a Python cache's inventory and what the target store already holds,
 * per environment and version what an import would do, repair, distrust and skip.
 *
 * Rules:
 * - An environment is keyed by its normalised base URL (the Python tool stored URLs as typed);
 *   two Python rows for one URL: the one synced last wins, the other is skipped.
 * - Only an environment's serving version (`is_active`, latest) is imported; its older versions
 *   and versions no environment serves are skipped.
 * - An environment this store already serves from another version (it was synced here) is never
 *   overwritten; one already serving the same version is "already imported" (so a second run
 *   imports nothing).
 */
import { importedVersionInfo, normalizedBaseUrlOrNull } from "./keys.js";
import { assessVersion, type ImportTrust } from "./trust.js";
import type { PythonCacheFile, PythonCacheInventory, PythonVersion, PythonVersionCounts } from "./types.js";

/** What the target store already holds, as the plan needs it. */
export interface ExistingCache {
  /** modulesHash of every complete version in the store. */
  completeVersions: ReadonlySet<string>;
  /** Normalised base URL → modulesHash of the version it serves (null: registered, serves none). */
  environments: ReadonlyMap<string, string | null>;
  /**
   * modulesHash of a stored version → the hash of its module list without the lines the Python
   * tool could not parse (only for lists that have such lines): an imported version adopted at a
   * live check is still recognised as the Python version it came from.
   */
  pythonKeys?: ReadonlyMap<string, string>;
}

export const EMPTY_CACHE: ExistingCache = { completeVersions: new Set(), environments: new Map() };

export type PlanAction = "import" | "alreadyImported" | "skip";

export interface PlannedVersion {
  sourceVersionId: number;
  layout: PythonCacheFile["layout"];
  /** The Python tool's version hash (as shown by it). */
  pythonVersionHash: string;
  /** The key this store gives it (see keys.ts). */
  modulesHash: string;
  versionHash: string;
  moduleCount: number;
  applicationVersion: string | null;
  platformVersion: string | null;
  /**
   * modulesHash of the complete version in this store that already holds it: the same key, or an
   * imported version adopted with its full module list at a live check. Null: not stored yet.
   */
  storedAs: string | null;
  action: PlanAction;
  /** For `import`: how far it will be trusted. */
  trust: ImportTrust | null;
  /** Why it is distrusted (trust `needsReverification`), or why it is skipped. */
  reasons: string[];
  /** Things worth knowing that do not change the decision. */
  warnings: string[];
  completedAt: Date | null;
  counts: PythonVersionCounts;
  /** Normalised base URLs that will serve it. */
  environments: string[];
  /** Repairs that will be applied (counted from the file; the import reports the exact figures). */
  repairs: {
    duplicateFixedConstraints: number;
    /** Referenced label ids without a text (fetched on demand later). */
    missingLabels: number;
    /**
     * v2: module lines the Python tool could not parse are absent from its list and cannot be
     * seen offline; the first live version check restores them (true for every v2 version).
     */
    moduleLinesRestoredAtFirstCheck: boolean;
  };
}

export interface PlannedEnvironment {
  sourceEnvironmentId: number;
  /** Normalised, or the stored text when it is not a usable URL. */
  baseUrl: string;
  name: string | null;
  lastSyncAt: Date | null;
  action: PlanAction;
  reason: string | null;
  /** The Python version it will serve (`sourceVersionId`), when one is imported or already imported. */
  sourceVersionId: number | null;
}

export interface MigrationPlan {
  source: PythonCacheFile;
  environments: PlannedEnvironment[];
  versions: PlannedVersion[];
  totals: {
    environmentsToImport: number;
    versionsToImport: number;
    /** Rows (definitions and children) the versions to import hold in the source. */
    sourceRowsToImport: number;
    labelsToImport: number;
    alreadyImported: number;
    skipped: number;
    needsReverification: number;
  };
  warnings: string[];
}

/** The version an environment serves in the file: its active link, the most recently detected. */
export function activeVersionOf(
  inventory: PythonCacheInventory,
  environmentId: number,
): PythonVersion | null {
  let best: { version: PythonVersion; at: number; id: number } | null = null;
  for (const version of inventory.versions) {
    for (const link of version.links) {
      if (link.environmentSourceId !== environmentId || !link.isActive) continue;
      const at = link.detectedAt?.getTime() ?? 0;
      if (!best || at > best.at || (at === best.at && version.sourceId > best.id)) {
        best = { version, at, id: version.sourceId };
      }
    }
  }
  return best?.version ?? null;
}

function rowsOf(c: PythonVersionCounts): number {
  return (
    c.dataEntities + c.publicEntities + c.properties + c.navigationProperties + c.actions + c.enumerations
  );
}

export function buildPlan(
  inventory: PythonCacheInventory,
  existing: ExistingCache = EMPTY_CACHE,
): MigrationPlan {
  const warnings: string[] = [];
  const versions = new Map<number, PlannedVersion>();
  const storedByPythonKey = new Map<string, string>();
  for (const [stored, pythonKey] of existing.pythonKeys ?? []) storedByPythonKey.set(pythonKey, stored);
  for (const version of inventory.versions) {
    const info = importedVersionInfo(version);
    const verdict = assessVersion(version);
    const storedAs = existing.completeVersions.has(info.modulesHash)
      ? info.modulesHash
      : (storedByPythonKey.get(info.modulesHash) ?? null);
    versions.set(version.sourceId, {
      sourceVersionId: version.sourceId,
      layout: version.layout,
      pythonVersionHash: version.versionHash,
      modulesHash: info.modulesHash,
      versionHash: info.versionHash,
      moduleCount: version.modules.length,
      applicationVersion: version.applicationVersion,
      platformVersion: version.platformVersion,
      storedAs,
      action: verdict.kind === "skip" ? "skip" : storedAs ? "alreadyImported" : "import",
      trust: verdict.kind === "import" ? verdict.trust : null,
      reasons: verdict.kind === "skip" ? [verdict.reason] : verdict.reasons,
      warnings: verdict.kind === "import" ? verdict.warnings : [],
      completedAt: verdict.kind === "import" ? verdict.completedAt : null,
      counts: version.counts,
      environments: [],
      repairs: {
        duplicateFixedConstraints: version.counts.duplicateFixedConstraints,
        missingLabels: version.counts.missingLabelIds,
        moduleLinesRestoredAtFirstCheck: version.layout === "v2",
      },
    });
  }

  // Environments, newest sync first so a duplicate URL keeps the most recent one.
  const byRecency = [...inventory.environments].sort(
    (a, b) => (b.lastSyncAt?.getTime() ?? 0) - (a.lastSyncAt?.getTime() ?? 0) || a.sourceId - b.sourceId,
  );
  const seen = new Set<string>();
  const environments: PlannedEnvironment[] = [];
  for (const env of byRecency) {
    const normalized = normalizedBaseUrlOrNull(env.baseUrl);
    const planned: PlannedEnvironment = {
      sourceEnvironmentId: env.sourceId,
      baseUrl: normalized ?? env.baseUrl.slice(0, 200),
      name: env.name,
      lastSyncAt: env.lastSyncAt,
      action: "skip",
      reason: null,
      sourceVersionId: null,
    };
    environments.push(planned);
    if (!normalized) {
      planned.reason = "its base URL is not a usable https/http URL";
      continue;
    }
    if (seen.has(normalized)) {
      planned.reason =
        "another row of the Python cache holds the same environment (the most recently synced is used)";
      continue;
    }
    seen.add(normalized);
    const active = activeVersionOf(inventory, env.sourceId);
    const version = active ? versions.get(active.sourceId) : undefined;
    if (!active || !version) {
      planned.reason = "no version is recorded for it";
      continue;
    }
    if (version.action === "skip") {
      planned.reason = `its version ${version.pythonVersionHash.slice(0, 16)} is skipped: ${version.reasons[0]}`;
      continue;
    }
    const servedHash = existing.environments.get(normalized);
    const served =
      servedHash && existing.pythonKeys?.get(servedHash) === version.modulesHash
        ? version.modulesHash
        : servedHash;
    if (served !== undefined && served !== null && served !== version.modulesHash) {
      planned.reason = "this cache already serves it from its own sync (not overwritten)";
      continue;
    }
    planned.sourceVersionId = version.sourceVersionId;
    planned.action = served === version.modulesHash ? "alreadyImported" : "import";
    version.environments.push(normalized);
  }
  environments.sort((a, b) => a.sourceEnvironmentId - b.sourceEnvironmentId);

  for (const version of versions.values()) {
    if (version.action !== "skip" && version.environments.length === 0) {
      version.action = "skip";
      version.reasons = [
        version.reasons.length > 0
          ? `not served by any environment imported (${version.reasons.join("; ")})`
          : "not the serving version of any environment imported",
      ];
      version.trust = null;
    }
  }
  if (inventory.file.layout === "v1") {
    warnings.push(
      "a v1 cache has no module list: its version is kept as an unverified legacy version until the first live sync replaces it",
    );
  }
  if (inventory.file.hasWal) {
    warnings.push(
      "the file had a -wal file beside it: the Python tool may still be running; its committed content was read",
    );
  }
  const planned = [...versions.values()];
  const toImport = planned.filter((v) => v.action === "import");
  return {
    source: inventory.file,
    environments,
    versions: planned,
    totals: {
      environmentsToImport: environments.filter((e) => e.action === "import").length,
      versionsToImport: toImport.length,
      sourceRowsToImport: toImport.reduce((n, v) => n + rowsOf(v.counts), 0),
      labelsToImport: toImport.reduce((n, v) => n + v.counts.labels, 0),
      alreadyImported:
        environments.filter((e) => e.action === "alreadyImported").length +
        planned.filter((v) => v.action === "alreadyImported").length,
      skipped:
        environments.filter((e) => e.action === "skip").length +
        planned.filter((v) => v.action === "skip").length,
      needsReverification: toImport.filter((v) => v.trust === "needsReverification").length,
    },
    warnings,
  };
}
