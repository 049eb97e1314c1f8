/**
 * `MetadataMigrationManager` (the specification's name): imports the Python `d365fo-client`'s
 * metadata caches into this library's store, so a user switching tools does not download again
 * what the Python tool already holds. See docs/migration.md.
 *
 * - `detectSources(path?)`: where Python caches are and what each holds.
 * - `plan(source)`: the dry run — what would be imported, repaired, distrusted, skipped.
 * - `migrate(source)`: the import, through the store contract (any backend), atomic per version,
 *   idempotent; the source file is only ever read.
 */
import { homedir } from "node:os";
import { ConfigurationError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import { openPythonCache } from "../store/sqlite/python/index.js";
import type { MetadataStore } from "../store/types.js";
import { computeModulesHash } from "../version/models.js";
import { linesPythonDropped } from "./adoption.js";
import { candidateFiles, type DetectedSource, detectSources } from "./detect.js";
import {
  type ImportedVersion,
  importVersion,
  type MigrationProgress,
  type MigrationResult,
} from "./import.js";
import type { LocationContext } from "./locations.js";
import { buildPlan, type ExistingCache, type MigrationPlan } from "./plan.js";
import type { RepairReport } from "./repair.js";
import type { PythonCacheOpener, PythonCacheReader } from "./types.js";

export interface MetadataMigrationManagerOptions {
  /** The target store; needed by `migrate`, and lets `plan` tell what is already imported. */
  store?: MetadataStore;
  logger?: Logger;
  /** Where default locations are looked for (tests): platform, environment variables, home directory. */
  locations?: Partial<LocationContext>;
  /** Opens a Python cache file read-only (default: the SQLite reader). */
  openSource?: PythonCacheOpener;
}

export interface MigrateOptions {
  signal?: AbortSignal;
  onProgress?: (event: MigrationProgress) => void;
}

/** A source: a path (file or folder holding exactly one cache) or a detected source. */
export type MigrationSourceRef = string | Pick<DetectedSource, "path">;

export class MetadataMigrationManager {
  private readonly store?: MetadataStore;
  private readonly logger: Logger;
  private readonly ctx: LocationContext;
  private readonly open: PythonCacheOpener;

  constructor(options: MetadataMigrationManagerOptions = {}) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.ctx = {
      platform: options.locations?.platform ?? process.platform,
      env: options.locations?.env ?? process.env,
      homedir: options.locations?.homedir ?? homedir(),
    };
    this.open = options.openSource ?? openPythonCache;
  }

  /** Python caches in `path` (a file or folder) or, without one, in every default location. */
  detectSources(path?: string): Promise<DetectedSource[]> {
    return detectSources(this.open, this.ctx, path);
  }

  /** The dry run: nothing is written anywhere. */
  async plan(source: MigrationSourceRef): Promise<MigrationPlan> {
    return this.withReader(source, async (reader) =>
      buildPlan(await reader.readInventory(), await this.existing()),
    );
  }

  /** Imports every importable environment of the source; a second run imports nothing and says so. */
  async migrate(source: MigrationSourceRef, options: MigrateOptions = {}): Promise<MigrationResult> {
    const store = this.store;
    if (!store) throw new ConfigurationError("MetadataMigrationManager.migrate needs a store to import into");
    const started = performance.now();
    return this.withReader(source, async (reader) => {
      const inventory = await reader.readInventory();
      const plan = buildPlan(inventory, await this.existing());
      const environments = new Map(
        plan.environments
          .filter((e) => e.action !== "skip")
          .map((e) => [e.baseUrl, { name: e.name, lastSyncAt: e.lastSyncAt }] as const),
      );
      const versions: ImportedVersion[] = [];
      for (const planned of plan.versions) {
        if (planned.action === "skip") continue;
        const needsLinks = plan.environments.some(
          (e) => e.action === "import" && e.sourceVersionId === planned.sourceVersionId,
        );
        if (planned.action === "alreadyImported" && !needsLinks) continue;
        const pythonVersion = inventory.versions.find((v) => v.sourceId === planned.sourceVersionId);
        if (!pythonVersion) continue;
        const linkOnly = {
          ...planned,
          environments: planned.environments.filter(
            (url) => plan.environments.find((e) => e.baseUrl === url)?.action === "import",
          ),
        };
        const imported = await importVersion(store, reader, pythonVersion, linkOnly, environments, {
          signal: options.signal,
          onProgress: options.onProgress,
          logger: this.logger,
        });
        this.logger.info(
          { versionId: imported.versionId, outcome: imported.outcome, rowsWritten: imported.rowsWritten },
          "imported a Python cache version",
        );
        versions.push(imported);
      }
      return this.result(plan, versions, performance.now() - started);
    });
  }

  private result(plan: MigrationPlan, versions: ImportedVersion[], durationMs: number): MigrationResult {
    const repairs: RepairReport = {
      duplicateFixedConstraintsRemoved: 0,
      labelsResolved: 0,
      labelsMissing: 0,
      labelsUnreferenced: 0,
    };
    for (const v of versions) {
      if (!v.repairs) continue;
      repairs.duplicateFixedConstraintsRemoved += v.repairs.duplicateFixedConstraintsRemoved;
      repairs.labelsResolved += v.repairs.labelsResolved;
      repairs.labelsMissing += v.repairs.labelsMissing;
      repairs.labelsUnreferenced += v.repairs.labelsUnreferenced;
    }
    const environmentsImported = versions.reduce((n, v) => n + v.environments.length, 0);
    const versionsImported = versions.filter((v) => v.outcome === "imported").length;
    const versionsShared = versions.filter((v) => v.outcome === "shared").length;
    const warnings = [
      ...plan.warnings,
      ...plan.versions.flatMap((v) => v.warnings.map((w) => `version ${v.versionHash}: ${w}`)),
      ...versions
        .filter((v) => v.outcome === "busy")
        .map((v) => `version ${v.versionHash}: another process is syncing it; it was not imported`),
    ];
    const nothingImported = environmentsImported === 0 && versionsImported === 0;
    const message = nothingImported
      ? plan.totals.alreadyImported > 0
        ? "Nothing to import: everything importable is already in this cache."
        : "Nothing to import: the source holds no importable environment."
      : `Imported ${environmentsImported} environment(s) and ${versionsImported} version(s)` +
        (versionsShared > 0 ? ` (${versionsShared} already stored, only linked)` : "") +
        ".";
    return {
      plan,
      versions,
      environmentsImported,
      versionsImported,
      versionsShared,
      rowsWritten: versions.reduce((n, v) => n + v.rowsWritten, 0),
      labelsImported: versions.reduce((n, v) => n + v.labels, 0),
      repairs,
      warnings,
      nothingImported,
      message,
      durationMs: Math.round(durationMs),
    };
  }

  /** What the target store holds, as the plan needs it (empty without a store). */
  private async existing(): Promise<ExistingCache> {
    if (!this.store) return { completeVersions: new Set(), environments: new Map() };
    const versions = await this.store.listVersions();
    const byId = new Map(versions.map((v) => [v.id, v]));
    const completeVersions = new Set(
      versions.filter((v) => v.status === "complete").map((v) => v.modulesHash),
    );
    const environments = new Map<string, string | null>();
    for (const env of await this.store.listEnvironments()) {
      environments.set(
        env.baseUrl,
        env.versionId === null ? null : (byId.get(env.versionId)?.modulesHash ?? null),
      );
    }
    // Adopted imports: their full list hides the Python version they came from.
    const pythonKeys = new Map<string, string>();
    for (const v of versions) {
      if (v.status !== "complete" || v.moduleCount === 0) continue;
      const modules = await this.store.getVersionModules(v.id);
      const dropped = new Set(linesPythonDropped(modules));
      if (dropped.size > 0)
        pythonKeys.set(v.modulesHash, computeModulesHash(modules.filter((m) => !dropped.has(m))));
    }
    return { completeVersions, environments, pythonKeys };
  }

  private resolveFile(source: MigrationSourceRef): string {
    const path = typeof source === "string" ? source : source.path;
    const candidates = candidateFiles(this.ctx, path);
    if (candidates.length === 0) {
      throw new ConfigurationError(`No Python d365fo-client cache found at ${path}`);
    }
    if (candidates.length > 1) {
      throw new ConfigurationError(
        `${path} holds several Python caches (${candidates.join(", ")}); name one file`,
      );
    }
    return candidates[0];
  }

  private async withReader<T>(
    source: MigrationSourceRef,
    work: (reader: PythonCacheReader) => Promise<T>,
  ): Promise<T> {
    const reader = await this.open(this.resolveFile(source));
    try {
      return await work(reader);
    } finally {
      await reader.close();
    }
  }
}
