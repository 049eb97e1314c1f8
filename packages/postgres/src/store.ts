/**
 * `MetadataStore` over PostgreSQL (node-postgres pool): a team's machines share one database, so
 * an environment any of them has synced costs the others three small requests. The class only
 * delegates; each concern lives in its module, mirroring the SQLite adapter's files.
 */

import type {
  DataEntity,
  Enumeration,
  EnvironmentVersionInfo,
  Label,
  Logger,
  ModuleVersionInfo,
  PublicEntity,
} from "d365fo-client";
import { CacheClosedError } from "d365fo-client";
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
} from "d365fo-client/backend";
import { cleanupVersions } from "./cleanup.js";
import type { PgConnection } from "./connection.js";
import * as environments from "./environments.js";
import { getStorageFootprint } from "./footprint.js";
import { checkIntegrity } from "./integrity.js";
import * as labels from "./labels.js";
import * as leases from "./leases.js";
import * as reads from "./reads.js";
import { METADATA_TABLES, SCHEMA_VERSION } from "./schema.js";
import { runSearch } from "./search.js";
import * as writes from "./writes.js";

export class PostgresMetadataStore implements MetadataStore, StoreInspection {
  constructor(
    private readonly db: PgConnection,
    private readonly logger: Logger,
  ) {}

  async describe(): Promise<StoreDescription> {
    return {
      backend: "postgres",
      location: this.db.location,
      readOnly: false,
      schemaVersion: SCHEMA_VERSION,
    };
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private assertOpen(): void {
    if (this.db.isClosed) throw new CacheClosedError(this.db.location);
  }

  // Environments
  ensureEnvironment(baseUrl: string, name?: string): Promise<EnvironmentRecord> {
    return environments.ensureEnvironment(this.db, baseUrl, name);
  }
  findEnvironment(baseUrl: string): Promise<EnvironmentRecord | undefined> {
    return environments.findEnvironment(this.db, baseUrl);
  }
  getEnvironment(environmentId: number): Promise<EnvironmentRecord | undefined> {
    return environments.getEnvironment(this.db, environmentId);
  }
  listEnvironments(): Promise<EnvironmentRecord[]> {
    return environments.listEnvironments(this.db);
  }
  recordVersionCheck(environmentId: number, at: Date = new Date()): Promise<void> {
    return environments.recordVersionCheck(this.db, environmentId, at);
  }
  recordSync(environmentId: number, durationMs: number, at: Date = new Date()): Promise<void> {
    return environments.recordSync(this.db, environmentId, durationMs, at);
  }

  // Global versions
  findVersionByModulesHash(modulesHash: string): Promise<GlobalVersionRecord | undefined> {
    return environments.findVersionByModulesHash(this.db, modulesHash);
  }
  getVersion(versionId: number): Promise<GlobalVersionRecord | undefined> {
    return environments.getVersion(this.db, versionId);
  }
  listVersions(): Promise<GlobalVersionRecord[]> {
    return environments.listVersions(this.db);
  }
  getOrCreateVersion(
    info: EnvironmentVersionInfo,
    createdByEnvironmentId: number | null,
  ): Promise<{ version: GlobalVersionRecord; created: boolean }> {
    return environments.getOrCreateVersion(this.db, this.logger, info, createdByEnvironmentId);
  }
  getVersionModules(versionId: number): Promise<ModuleVersionInfo[]> {
    return environments.getVersionModules(this.db, versionId);
  }
  linkEnvironment(
    environmentId: number,
    versionId: number,
  ): Promise<{ changed: boolean; previousVersionId: number | null }> {
    return environments.linkEnvironment(this.db, environmentId, versionId);
  }
  setVersionTrust(versionId: number, trust: VersionTrust): Promise<void> {
    return environments.setVersionTrust(this.db, versionId, trust);
  }
  rekeyVersion(versionId: number, info: EnvironmentVersionInfo): Promise<GlobalVersionRecord> {
    return environments.rekeyVersion(this.db, versionId, info);
  }
  unlinkEnvironment(environmentId: number): Promise<void> {
    return environments.unlinkEnvironment(this.db, environmentId);
  }

  // Sync coordination
  tryAcquireSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean> {
    return leases.tryAcquireSyncLease(this.db, versionId, owner, ttlMs);
  }
  renewSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean> {
    return leases.renewSyncLease(this.db, versionId, owner, ttlMs);
  }
  releaseSyncLease(versionId: number, owner: string): Promise<void> {
    return leases.releaseSyncLease(this.db, versionId, owner);
  }
  getSyncLease(versionId: number): Promise<SyncLease | undefined> {
    return leases.getSyncLease(this.db, versionId);
  }
  getSyncState(versionId: number): Promise<VersionSyncState> {
    return leases.getSyncState(this.db, versionId);
  }
  markPhaseComplete(versionId: number, phase: SyncPhase): Promise<void> {
    return leases.markPhaseComplete(this.db, versionId, phase);
  }
  resetPhase(versionId: number, phase: SyncPhase): Promise<void> {
    return leases.resetPhase(this.db, versionId, phase);
  }

  // Writes
  writeDataEntities(versionId: number, entities: readonly DataEntity[]): Promise<WriteResult> {
    return writes.writeDataEntities(this.db, versionId, entities);
  }
  writePublicEntities(versionId: number, entities: readonly PublicEntity[]): Promise<WriteResult> {
    return writes.writePublicEntities(this.db, versionId, entities);
  }
  writeEnumerations(versionId: number, enumerations: readonly Enumeration[]): Promise<WriteResult> {
    return writes.writeEnumerations(this.db, versionId, enumerations);
  }
  writeLabels(versionId: number, items: readonly Label[]): Promise<WriteResult> {
    return labels.writeLabels(this.db, versionId, items);
  }
  storeFetchedLabels(versionId: number, items: readonly Label[]): Promise<void> {
    return labels.storeFetchedLabels(this.db, versionId, items);
  }
  listMissingLabelIds(versionId: number, language: string): Promise<string[]> {
    return labels.listMissingLabelIds(this.db, versionId, language);
  }
  listReferencedLabelIds(versionId: number): Promise<string[]> {
    return labels.listReferencedLabelIds(this.db, versionId);
  }
  completeVersion(versionId: number): Promise<void> {
    return environments.completeVersion(this.db, versionId);
  }

  // Reads
  getDataEntity(versionId: number, name: string): Promise<DataEntity | undefined> {
    return reads.getDataEntity(this.db, versionId, name);
  }
  getPublicEntity(versionId: number, name: string): Promise<PublicEntity | undefined> {
    return reads.getPublicEntity(this.db, versionId, name);
  }
  getPublicEntityBySetName(versionId: number, entitySetName: string): Promise<PublicEntity | undefined> {
    return reads.getPublicEntityBySetName(this.db, versionId, entitySetName);
  }
  getEnumeration(versionId: number, name: string): Promise<Enumeration | undefined> {
    return reads.getEnumeration(this.db, versionId, name);
  }
  listDataEntityNames(versionId: number): Promise<string[]> {
    return reads.listNames(this.db, "version_data_entities", versionId);
  }
  listPublicEntityNames(versionId: number): Promise<string[]> {
    return reads.listNames(this.db, "version_public_entities", versionId);
  }
  listEnumerationNames(versionId: number): Promise<string[]> {
    return reads.listNames(this.db, "version_enumerations", versionId);
  }
  getLabel(versionId: number, id: string, language: string): Promise<string | undefined> {
    return labels.getLabel(this.db, versionId, id, language);
  }
  getLabels(versionId: number, ids: readonly string[], language: string): Promise<Map<string, string>> {
    return labels.getLabels(this.db, versionId, ids, language);
  }
  getCounts(versionId: number): Promise<MetadataCounts> {
    return reads.getCounts(this.db, versionId);
  }
  getPublicEntityHashes(versionId: number): Promise<Map<string, string>> {
    return reads.getPublicEntityHashes(this.db, versionId);
  }
  getContentHash(versionId: number): Promise<string> {
    // One snapshot for all sections: a concurrent write cannot land between them.
    return this.db.transaction((tx) => reads.getContentHash(tx, versionId), { isolation: "repeatable read" });
  }
  async search(query: StoreSearchQuery): Promise<StoreSearchResult> {
    this.assertOpen();
    return runSearch(this.db, query, (ids) =>
      this.getLabels(query.versionId, ids, query.language ?? "en-us"),
    );
  }

  // Maintenance and statistics
  cleanupVersions(options: { olderThan: Date; dryRun: boolean }): Promise<CleanupResult> {
    return cleanupVersions(this.db, this.logger, options);
  }
  getStorageFootprint(): Promise<StorageFootprint> {
    return getStorageFootprint(this.db);
  }
  checkIntegrity(): Promise<IntegrityReport> {
    return this.db.transaction((tx) => checkIntegrity(tx), { isolation: "repeatable read", rollback: true });
  }

  // Inspection
  async countMetadataRows(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT (${METADATA_TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(" + ")})::float8 AS n`,
    );
    return row.n;
  }
}
