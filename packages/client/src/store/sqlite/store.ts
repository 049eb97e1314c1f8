/**
 * `SqliteMetadataStore`: the asynchronous `MetadataStore` contract over one SQLite file, composed
 * of this folder's modules. better-sqlite3 is synchronous; each method runs its statements on the
 * calling thread and returns a settled promise (as Kysely's SQLite dialect does): no worker
 * thread, so a call costs its query plus one microtask. Driver failures become rejections with
 * our typed errors (`errors.ts`), never synchronous throws.
 */

import { type Logger, silentLogger } from "../../logging.js";
import type { DataEntity, Enumeration, Label, PublicEntity } from "../../metadata/models.js";
import type { EnvironmentVersionInfo, ModuleVersionInfo } from "../../version/models.js";
import type {
  CleanupResult,
  EnvironmentRecord,
  GlobalVersionRecord,
  IntegrityReport,
  MetadataCounts,
  MetadataStore,
  StorageFootprint,
  StoreDescription,
  StoreInspection,
  StoreSearchQuery,
  StoreSearchResult,
  SyncLease,
  SyncPhase,
  VersionSyncState,
  VersionTrust,
  WriteResult,
} from "../types.js";
import { cleanupVersions } from "./cleanup.js";
import { openDatabase, SqliteConnection } from "./connection.js";
import * as environments from "./environments.js";
import { mapSqliteError } from "./errors.js";
import { getStorageFootprint } from "./footprint.js";
import { checkIntegrity, countMetadataRows } from "./integrity.js";
import * as labels from "./labels.js";
import * as leases from "./leases.js";
import * as reads from "./reads.js";
import { SCHEMA_VERSION } from "./schema.js";
import { searchVersion } from "./search.js";
import { rebuildSearchIndex } from "./search-index.js";
import { VersionScopeCache } from "./search-scope.js";
import * as writes from "./writes.js";

export interface SqliteMetadataStoreOptions {
  logger?: Logger;
  /** How long a statement waits for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

export class SqliteMetadataStore implements MetadataStore, StoreInspection {
  private readonly c: SqliteConnection;
  private readonly scopes: VersionScopeCache;

  /** Opens synchronously; `openSqliteStore()` (index.ts) is the asynchronous way. */
  constructor(path: string, options: SqliteMetadataStoreOptions = {}) {
    const logger = options.logger ?? silentLogger;
    const opened = openDatabase(path, {
      logger,
      busyTimeoutMs: options.busyTimeoutMs,
      afterMigration: (db, migration) => {
        // Every file below version 4 passes through it: the indexes are built once, in their final form.
        if (migration.version === 4) rebuildSearchIndex(db);
        if (migration.version === 5) {
          const migrating = new SqliteConnection(path, { db, readOnly: false, warnings: [] }, logger);
          reads.backfillPublicEntityDocuments(migrating);
        }
      },
    });
    this.c = new SqliteConnection(path, opened, logger);
    this.scopes = new VersionScopeCache((sql) => this.c.stmt(sql));
    this.c.onContentChange = () => this.scopes.clear();
  }

  /** Problems found when opening that did not prevent it (for `doctor`). */
  get locationWarnings(): readonly string[] {
    return this.c.warnings;
  }

  /** Runs `fn` on the connection; any failure becomes a rejection with our typed error. */
  private async call<T>(fn: (c: SqliteConnection) => T): Promise<T> {
    try {
      return fn(this.c);
    } catch (error) {
      throw mapSqliteError(error, this.c.location);
    }
  }

  describe(): Promise<StoreDescription> {
    return this.call((c) => {
      c.assertOpen();
      return {
        backend: "sqlite" as const,
        location: c.location,
        readOnly: c.readOnly,
        schemaVersion: SCHEMA_VERSION,
      };
    });
  }

  close(): Promise<void> {
    return this.call((c) => {
      this.scopes.clear();
      c.close();
    });
  }

  ensureEnvironment(baseUrl: string, name?: string): Promise<EnvironmentRecord> {
    return this.call((c) => environments.ensureEnvironment(c, baseUrl, name));
  }
  findEnvironment(baseUrl: string): Promise<EnvironmentRecord | undefined> {
    return this.call((c) => environments.findEnvironment(c, baseUrl));
  }
  getEnvironment(environmentId: number): Promise<EnvironmentRecord | undefined> {
    return this.call((c) => environments.getEnvironment(c, environmentId));
  }
  listEnvironments(): Promise<EnvironmentRecord[]> {
    return this.call((c) => environments.listEnvironments(c));
  }
  recordVersionCheck(environmentId: number, at?: Date): Promise<void> {
    return this.call((c) => environments.recordVersionCheck(c, environmentId, at));
  }
  recordSync(environmentId: number, durationMs: number, at?: Date): Promise<void> {
    return this.call((c) => environments.recordSync(c, environmentId, durationMs, at));
  }

  findVersionByModulesHash(modulesHash: string): Promise<GlobalVersionRecord | undefined> {
    return this.call((c) => environments.findVersionByModulesHash(c, modulesHash));
  }
  getVersion(versionId: number): Promise<GlobalVersionRecord | undefined> {
    return this.call((c) => environments.getVersion(c, versionId));
  }
  listVersions(): Promise<GlobalVersionRecord[]> {
    return this.call((c) => environments.listVersions(c));
  }
  getOrCreateVersion(
    info: EnvironmentVersionInfo,
    createdByEnvironmentId: number | null,
  ): Promise<{ version: GlobalVersionRecord; created: boolean }> {
    return this.call((c) => environments.getOrCreateVersion(c, info, createdByEnvironmentId));
  }
  getVersionModules(versionId: number): Promise<ModuleVersionInfo[]> {
    return this.call((c) => environments.getVersionModules(c, versionId));
  }
  setVersionTrust(versionId: number, trust: VersionTrust): Promise<void> {
    return this.call((c) => environments.setVersionTrust(c, versionId, trust));
  }
  rekeyVersion(versionId: number, info: EnvironmentVersionInfo): Promise<GlobalVersionRecord> {
    return this.call((c) => environments.rekeyVersion(c, versionId, info));
  }
  linkEnvironment(
    environmentId: number,
    versionId: number,
  ): Promise<{ changed: boolean; previousVersionId: number | null }> {
    return this.call((c) => environments.linkEnvironment(c, environmentId, versionId));
  }
  unlinkEnvironment(environmentId: number): Promise<void> {
    return this.call((c) => environments.unlinkEnvironment(c, environmentId));
  }

  tryAcquireSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean> {
    return this.call((c) => leases.tryAcquireSyncLease(c, versionId, owner, ttlMs));
  }
  renewSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean> {
    return this.call((c) => leases.renewSyncLease(c, versionId, owner, ttlMs));
  }
  releaseSyncLease(versionId: number, owner: string): Promise<void> {
    return this.call((c) => leases.releaseSyncLease(c, versionId, owner));
  }
  getSyncLease(versionId: number): Promise<SyncLease | undefined> {
    return this.call((c) => leases.getSyncLease(c, versionId));
  }
  getSyncState(versionId: number): Promise<VersionSyncState> {
    return this.call((c) => leases.getSyncState(c, versionId));
  }
  markPhaseComplete(versionId: number, phase: SyncPhase): Promise<void> {
    return this.call((c) => leases.markPhaseComplete(c, versionId, phase));
  }
  resetPhase(versionId: number, phase: SyncPhase): Promise<void> {
    return this.call((c) => leases.resetPhase(c, versionId, phase));
  }

  writeDataEntities(versionId: number, entities: readonly DataEntity[]): Promise<WriteResult> {
    return this.call((c) => writes.writeDataEntities(c, versionId, entities));
  }
  writePublicEntities(versionId: number, entities: readonly PublicEntity[]): Promise<WriteResult> {
    return this.call((c) => writes.writePublicEntities(c, versionId, entities));
  }
  writeEnumerations(versionId: number, enumerations: readonly Enumeration[]): Promise<WriteResult> {
    return this.call((c) => writes.writeEnumerations(c, versionId, enumerations));
  }
  writeLabels(versionId: number, items: readonly Label[]): Promise<WriteResult> {
    return this.call((c) => labels.writeLabels(c, versionId, items));
  }
  storeFetchedLabels(versionId: number, items: readonly Label[]): Promise<void> {
    return this.call((c) => labels.storeFetchedLabels(c, versionId, items));
  }
  listMissingLabelIds(versionId: number, language: string): Promise<string[]> {
    return this.call((c) => labels.listMissingLabelIds(c, versionId, language));
  }
  listReferencedLabelIds(versionId: number): Promise<string[]> {
    return this.call((c) => labels.listReferencedLabelIds(c, versionId));
  }
  completeVersion(versionId: number): Promise<void> {
    return this.call((c) => writes.completeVersion(c, versionId));
  }

  getDataEntity(versionId: number, name: string): Promise<DataEntity | undefined> {
    return this.call((c) => reads.getDataEntity(c, versionId, name));
  }
  getPublicEntity(versionId: number, name: string): Promise<PublicEntity | undefined> {
    return this.call((c) => reads.getPublicEntity(c, versionId, name));
  }
  getPublicEntityBySetName(versionId: number, entitySetName: string): Promise<PublicEntity | undefined> {
    return this.call((c) => reads.getPublicEntityBySetName(c, versionId, entitySetName));
  }
  getEnumeration(versionId: number, name: string): Promise<Enumeration | undefined> {
    return this.call((c) => reads.getEnumeration(c, versionId, name));
  }
  listDataEntityNames(versionId: number): Promise<string[]> {
    return this.call((c) => reads.listDataEntityNames(c, versionId));
  }
  listPublicEntityNames(versionId: number): Promise<string[]> {
    return this.call((c) => reads.listPublicEntityNames(c, versionId));
  }
  listEnumerationNames(versionId: number): Promise<string[]> {
    return this.call((c) => reads.listEnumerationNames(c, versionId));
  }
  getLabel(versionId: number, id: string, language: string): Promise<string | undefined> {
    return this.call((c) => labels.getLabel(c, versionId, id, language));
  }
  getLabels(versionId: number, ids: readonly string[], language: string): Promise<Map<string, string>> {
    return this.call((c) => labels.getLabels(c, versionId, ids, language));
  }
  getCounts(versionId: number): Promise<MetadataCounts> {
    return this.call((c) => reads.getCounts(c, versionId));
  }
  getPublicEntityHashes(versionId: number): Promise<Map<string, string>> {
    return this.call((c) => reads.getPublicEntityHashes(c, versionId));
  }
  getContentHash(versionId: number): Promise<string> {
    return this.call((c) => reads.getContentHash(c, versionId));
  }
  search(query: StoreSearchQuery): Promise<StoreSearchResult> {
    return this.call((c) => searchVersion(c, this.scopes, query));
  }

  cleanupVersions(options: { olderThan: Date; dryRun: boolean }): Promise<CleanupResult> {
    return this.call((c) => cleanupVersions(c, options));
  }
  getStorageFootprint(): Promise<StorageFootprint> {
    return this.call((c) => getStorageFootprint(c));
  }
  checkIntegrity(): Promise<IntegrityReport> {
    return this.call((c) => checkIntegrity(c));
  }
  countMetadataRows(): Promise<number> {
    return this.call((c) => countMetadataRows(c));
  }
}
