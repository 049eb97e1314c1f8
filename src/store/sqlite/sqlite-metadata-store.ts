/**
 * `MetadataStore` over one SQLite file (better-sqlite3). Definitions are content-addressed and
 * shared by every version containing them (see schema.ts); each write method is one transaction
 * over cached prepared statements; cross-process coordination (version creation, leases) runs in
 * `BEGIN IMMEDIATE` transactions backed by unique constraints.
 */
import { statSync } from "node:fs";
import { CacheError, ConfigurationError } from "../../errors.js";
import { type Logger, silentLogger } from "../../logging.js";
import type {
  ActionTypeRef,
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  Label,
  NavigationProperty,
  PropertyGroup,
  PublicEntity,
  RelationConstraint,
} from "../../metadata/models.js";
import { type EnvironmentVersionInfo, ModuleVersionInfo, VERSION_HASH_LENGTH } from "../../version/models.js";
import { hashDataEntity, hashEnumeration, hashPublicEntity, VersionContentHasher } from "../content-hash.js";
import { splitIdentifierWords } from "../search-terms.js";
import type {
  CleanupResult,
  EnvironmentRecord,
  GlobalVersionRecord,
  MetadataCounts,
  MetadataStore,
  StorageFootprint,
  StoreSearchQuery,
  StoreSearchResult,
  SyncLease,
  SyncPhase,
  VersionSyncState,
  WriteResult,
} from "../types.js";
import { openDatabase, type SqliteDatabase, type SqliteStatement } from "./database.js";
import { computeFootprint } from "./footprint.js";
import {
  bit,
  type EnvironmentRow,
  type GlobalVersionRow,
  toEnvironmentRecord,
  toVersionRecord,
} from "./rows.js";
import {
  insertSearchRowSql,
  MAX_SEARCH_ORDINAL,
  MEMBER_SEARCH_TABLE,
  type Migration,
  SEARCH_TABLE,
  searchRowId,
  searchRowIdSql,
  searchTableOf,
} from "./schema.js";
import { loadVersionScope, runSearch, type VersionScope } from "./search.js";

const SYNC_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations", "labels"];

const ENVIRONMENT_SELECT = `
  SELECT e.id, e.base_url, e.environment_name, e.created_at, e.last_sync_at, e.last_version_check,
         ev.global_version_id AS version_id
  FROM metadata_environments e
  LEFT JOIN environment_versions ev ON ev.environment_id = e.id AND ev.is_active = 1`;

const INDEX_SQL = insertSearchRowSql(SEARCH_TABLE);
const MEMBER_INDEX_SQL = insertSearchRowSql(MEMBER_SEARCH_TABLE);

/** The `words` column: identifiers split into words (`CustomerAccount` → `Customer Account`). */
function identifierWords(...names: (string | null | undefined)[]): string {
  return names
    .map((n) => (n ? splitIdentifierWords(n) : ""))
    .filter((w) => w !== "")
    .join(" ");
}

function checkOrdinal(ordinal: number, where: string): void {
  if (ordinal >= MAX_SEARCH_ORDINAL) {
    throw new ConfigurationError(`${where} has more than ${MAX_SEARCH_ORDINAL} members; not supported`);
  }
}

function environmentNameFromUrl(baseUrl: string): string {
  try {
    const host = new URL(baseUrl).hostname;
    return host.includes(".") ? host.split(".")[0] : host;
  } catch {
    return baseUrl;
  }
}

/** Fills the full-text index for definitions and label texts already stored (migration back-fill). */
export function rebuildSearchIndex(db: SqliteDatabase): void {
  const inserts: Record<string, SqliteStatement> = {
    [SEARCH_TABLE]: db.prepare(INDEX_SQL),
    [MEMBER_SEARCH_TABLE]: db.prepare(MEMBER_INDEX_SQL),
  };
  const insert = inserts[SEARCH_TABLE];
  type Row = { id: number; name: string; c: string | null; o: number };
  const sources: [string, Parameters<typeof searchRowId>[2]][] = [
    ["SELECT id, name, public_collection_name AS c, 0 AS o FROM data_entities", "dataEntity"],
    ["SELECT id, name, entity_set_name AS c, 0 AS o FROM public_entities", "publicEntity"],
    ["SELECT entity_id AS id, name, NULL AS c, property_order AS o FROM entity_properties", "property"],
    ["SELECT entity_id AS id, name, NULL AS c, action_order AS o FROM entity_actions", "action"],
    ["SELECT id, name, NULL AS c, 0 AS o FROM enumerations", "enumeration"],
    [
      "SELECT enumeration_id AS id, name, NULL AS c, member_order AS o FROM enumeration_members",
      "enumMember",
    ],
  ];
  for (const [sql, kind] of sources) {
    for (const r of db.prepare(sql).all() as Row[]) {
      inserts[searchTableOf(kind)].run(
        searchRowId(r.id, r.o, kind, r.name),
        r.name,
        r.c ?? "",
        identifierWords(r.name, r.c),
        "",
      );
    }
  }
  for (const r of db.prepare("SELECT id, label_text FROM labels_cache").all() as {
    id: number;
    label_text: string;
  }[]) {
    insert.run(searchRowId(r.id, 0, "label"), "", "", "", r.label_text);
  }
}

/** Thrown inside a transaction to roll it back on purpose (cleanup dry runs). */
class DryRunRollback extends Error {}

export interface SqliteMetadataStoreOptions {
  logger?: Logger;
  /** How long a statement waits for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

export class SqliteMetadataStore implements MetadataStore {
  readonly location: string;
  private readonly db: SqliteDatabase;
  private readonly logger: Logger;
  private readonly statements = new Map<string, SqliteStatement>();
  private closed = false;
  /** Per-version search scopes (LRU); dropped on this connection's metadata writes and others' commits. */
  private readonly scopes = new Map<number, VersionScope>();
  private scopesDataVersion = -1;

  constructor(path: string, options: SqliteMetadataStoreOptions = {}) {
    this.location = path;
    this.logger = options.logger ?? silentLogger;
    this.db = openDatabase(path, {
      logger: this.logger,
      busyTimeoutMs: options.busyTimeoutMs,
      afterMigration: (db: SqliteDatabase, migration: Migration) => {
        // Every file below version 3 passes through it: the indexes are built once, in their final form.
        if (migration.version === 3) rebuildSearchIndex(db);
      },
    });
  }

  /** Prepared statements are compiled once per SQL text and reused. */
  private stmt(sql: string): SqliteStatement {
    if (this.closed) throw new CacheError(`Metadata store ${this.location} is closed`);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  /** Rows as arrays in column order: about twice as fast as objects for wide rows on hot read paths. */
  private allRaw(sql: string, ...params: unknown[]): unknown[][] {
    const key = `raw\u0000${sql}`;
    let statement = this.statements.get(key);
    if (!statement) {
      if (this.closed) throw new CacheError(`Metadata store ${this.location} is closed`);
      statement = this.db.prepare<unknown[], unknown>(sql).raw(true);
      this.statements.set(key, statement);
    }
    return statement.all(...params) as unknown[][];
  }

  private run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction (takes the write lock up front: no upgrade deadlocks). */
  private write<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== "string" || !code.startsWith("SQLITE_")) throw error;
      // SQLite failures (busy beyond the timeout, disk full, corruption) as the library's own error.
      throw new CacheError(`Metadata store ${this.location}: ${(error as Error).message}`, {
        cause: error,
        code: code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" ? "D365_CACHE_BUSY" : "D365_CACHE",
      });
    }
  }

  /** A write that changes which definitions or label texts a version contains. */
  private writeMetadata<T>(fn: () => T): T {
    try {
      return this.write(fn);
    } finally {
      this.scopes.clear();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CacheError(`Metadata store ${this.location} is closed`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.scopes.clear();
    try {
      // Cheap, and keeps the planner's statistics current for the next process.
      this.db.pragma("optimize");
    } catch {
      // A read-only or busy database: statistics can wait.
    }
    this.db.close();
  }

  // ---------------------------------------------------------------- environments

  ensureEnvironment(baseUrl: string, name?: string): EnvironmentRecord {
    if (typeof baseUrl !== "string" || baseUrl.trim() === "") {
      throw new ConfigurationError("An environment needs a non-empty base URL");
    }
    return this.write(() => {
      this.run(
        `INSERT INTO metadata_environments (base_url, environment_name, created_at) VALUES (?, ?, ?)
         ON CONFLICT(base_url) DO NOTHING`,
        baseUrl,
        name ?? environmentNameFromUrl(baseUrl),
        Date.now(),
      );
      if (name !== undefined) {
        this.run("UPDATE metadata_environments SET environment_name = ? WHERE base_url = ?", name, baseUrl);
      }
      return this.findEnvironment(baseUrl) as EnvironmentRecord;
    });
  }

  findEnvironment(baseUrl: string): EnvironmentRecord | undefined {
    const row = this.get<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.base_url = ?`, baseUrl);
    return row && toEnvironmentRecord(row);
  }

  getEnvironment(environmentId: number): EnvironmentRecord | undefined {
    const row = this.get<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.id = ?`, environmentId);
    return row && toEnvironmentRecord(row);
  }

  listEnvironments(): EnvironmentRecord[] {
    return this.all<EnvironmentRow>(`${ENVIRONMENT_SELECT} ORDER BY e.id`).map(toEnvironmentRecord);
  }

  private requireEnvironment(environmentId: number): EnvironmentRecord {
    const environment = this.getEnvironment(environmentId);
    if (!environment) throw new ConfigurationError(`Unknown environment id ${environmentId}`);
    return environment;
  }

  recordVersionCheck(environmentId: number, at: Date = new Date()): void {
    this.write(() => {
      this.requireEnvironment(environmentId);
      this.run(
        "UPDATE metadata_environments SET last_version_check = ? WHERE id = ?",
        at.getTime(),
        environmentId,
      );
    });
  }

  recordSync(environmentId: number, durationMs: number, at: Date = new Date()): void {
    this.write(() => {
      this.requireEnvironment(environmentId);
      this.run(
        "UPDATE metadata_environments SET last_sync_at = ?, last_sync_duration_ms = ? WHERE id = ?",
        at.getTime(),
        Math.round(durationMs),
        environmentId,
      );
      this.run(
        "UPDATE environment_versions SET last_sync_duration_ms = ? WHERE environment_id = ? AND is_active = 1",
        Math.round(durationMs),
        environmentId,
      );
    });
  }

  // ---------------------------------------------------------------- global versions

  findVersionByModulesHash(modulesHash: string): GlobalVersionRecord | undefined {
    const row = this.get<GlobalVersionRow>(
      "SELECT * FROM global_versions WHERE modules_hash = ?",
      modulesHash,
    );
    return row && toVersionRecord(row);
  }

  getVersion(versionId: number): GlobalVersionRecord | undefined {
    const row = this.get<GlobalVersionRow>("SELECT * FROM global_versions WHERE id = ?", versionId);
    return row && toVersionRecord(row);
  }

  listVersions(): GlobalVersionRecord[] {
    return this.all<GlobalVersionRow>("SELECT * FROM global_versions ORDER BY id").map(toVersionRecord);
  }

  private requireVersion(versionId: number): GlobalVersionRecord {
    const version = this.getVersion(versionId);
    if (!version) throw new ConfigurationError(`Unknown global version id ${versionId}`);
    return version;
  }

  getOrCreateVersion(
    info: EnvironmentVersionInfo,
    createdByEnvironmentId: number | null,
  ): { version: GlobalVersionRecord; created: boolean } {
    const modulesHash = info.modulesHash;
    if (typeof modulesHash !== "string" || modulesHash.length < VERSION_HASH_LENGTH) {
      throw new ConfigurationError("EnvironmentVersionInfo.modulesHash must be a SHA-256 hex string");
    }
    const existing = this.findVersionByModulesHash(modulesHash);
    if (existing) return { version: existing, created: false };
    return this.write(() => {
      // Re-read under the write lock: another process may have created it meanwhile.
      const raced = this.findVersionByModulesHash(modulesHash);
      if (raced) return { version: raced, created: false };
      if (createdByEnvironmentId !== null) this.requireEnvironment(createdByEnvironmentId);
      const versionHash = this.uniqueVersionHash(info);
      const now = Date.now();
      const versionId = Number(
        this.stmt(
          `INSERT INTO global_versions (version_hash, modules_hash, status, first_seen_at, last_used_at,
             reference_count, module_count, application_version, application_build_version, platform_version,
             created_by_environment_id)
           VALUES (?, ?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?)`,
        ).run(
          versionHash,
          modulesHash,
          now,
          now,
          info.modules.length,
          info.applicationVersion,
          info.applicationBuildVersion,
          info.platformVersion,
          createdByEnvironmentId,
        ).lastInsertRowid,
      );
      const insertModule = this.stmt(
        `INSERT INTO global_version_modules
           (global_version_id, module_id, module_name, version, publisher, display_name, sort_order)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      const modules = [...info.modules].sort((a, b) =>
        a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0,
      );
      modules.forEach((m, i) => {
        insertModule.run(versionId, m.moduleId, m.name, m.version, m.publisher, m.displayName, i);
      });
      this.run(
        `INSERT INTO metadata_versions (global_version_id, application_version, platform_version, created_at)
         VALUES (?, ?, ?, ?)`,
        versionId,
        info.applicationVersion,
        info.platformVersion,
        now,
      );
      if (versionHash !== modulesHash.slice(0, VERSION_HASH_LENGTH)) {
        this.logger.warn(
          { versionHash, modulesHash },
          "version hash prefix collision between different module sets; lengthened",
        );
      }
      return { version: this.getVersion(versionId) as GlobalVersionRecord, created: true };
    });
  }

  /** The shortest prefix of the modules hash (at least 16 characters) no other module set uses. */
  private uniqueVersionHash(info: EnvironmentVersionInfo): string {
    const modulesHash = info.modulesHash;
    const preferred =
      info.versionHash &&
      modulesHash.startsWith(info.versionHash) &&
      info.versionHash.length >= VERSION_HASH_LENGTH
        ? info.versionHash.length
        : VERSION_HASH_LENGTH;
    for (let length = preferred; length <= modulesHash.length; length++) {
      const candidate = modulesHash.slice(0, length);
      const taken = this.get<{ modules_hash: string }>(
        "SELECT modules_hash FROM global_versions WHERE version_hash = ?",
        candidate,
      );
      if (!taken) return candidate;
    }
    throw new CacheError(`No unique version hash for modules hash ${modulesHash}`);
  }

  getVersionModules(versionId: number): ModuleVersionInfo[] {
    return this.all<{
      module_id: string;
      module_name: string | null;
      version: string | null;
      publisher: string | null;
      display_name: string | null;
    }>(
      `SELECT module_id, module_name, version, publisher, display_name FROM global_version_modules
       WHERE global_version_id = ? ORDER BY sort_order`,
      versionId,
    ).map(
      (r) =>
        new ModuleVersionInfo({
          moduleId: r.module_id,
          name: r.module_name ?? r.module_id,
          version: r.version ?? "",
          publisher: r.publisher ?? "",
          displayName: r.display_name ?? "",
        }),
    );
  }

  linkEnvironment(
    environmentId: number,
    versionId: number,
  ): { changed: boolean; previousVersionId: number | null } {
    return this.write(() => {
      const environment = this.requireEnvironment(environmentId);
      const version = this.requireVersion(versionId);
      if (version.status !== "complete") {
        throw new ConfigurationError(
          `Global version ${version.versionHash} is not complete; only a complete version can serve an environment`,
        );
      }
      const previous = environment.versionId;
      const now = Date.now();
      if (previous === versionId) {
        this.run("UPDATE global_versions SET last_used_at = ? WHERE id = ?", now, versionId);
        return { changed: false, previousVersionId: previous };
      }
      if (previous !== null) this.detach(environmentId, previous, now);
      this.run(
        `INSERT INTO environment_versions (environment_id, global_version_id, detected_at, is_active, sync_status)
         VALUES (?, ?, ?, 1, 'completed')
         ON CONFLICT(environment_id, global_version_id) DO UPDATE SET is_active = 1, detected_at = excluded.detected_at`,
        environmentId,
        versionId,
        now,
      );
      this.run(
        "UPDATE global_versions SET reference_count = reference_count + 1, last_used_at = ? WHERE id = ?",
        now,
        versionId,
      );
      return { changed: true, previousVersionId: previous };
    });
  }

  private detach(environmentId: number, versionId: number, now: number): void {
    const changed = this.run(
      "UPDATE environment_versions SET is_active = 0 WHERE environment_id = ? AND global_version_id = ? AND is_active = 1",
      environmentId,
      versionId,
    );
    if (changed > 0) {
      this.run(
        "UPDATE global_versions SET reference_count = MAX(reference_count - 1, 0), last_used_at = ? WHERE id = ?",
        now,
        versionId,
      );
    }
  }

  unlinkEnvironment(environmentId: number): void {
    this.write(() => {
      const environment = this.requireEnvironment(environmentId);
      if (environment.versionId !== null) this.detach(environmentId, environment.versionId, Date.now());
    });
  }

  // ---------------------------------------------------------------- sync coordination

  tryAcquireSyncLease(versionId: number, owner: string, ttlMs: number): boolean {
    return this.write(() => {
      this.requireVersion(versionId);
      const now = Date.now();
      const lease = this.get<{ owner: string; expires_at: number }>(
        "SELECT owner, expires_at FROM sync_leases WHERE global_version_id = ?",
        versionId,
      );
      if (lease && lease.owner !== owner && lease.expires_at > now) return false;
      this.run(
        `INSERT INTO sync_leases (global_version_id, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(global_version_id) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at,
           expires_at = excluded.expires_at`,
        versionId,
        owner,
        now,
        now + ttlMs,
      );
      return true;
    });
  }

  renewSyncLease(versionId: number, owner: string, ttlMs: number): boolean {
    return this.write(() => {
      const now = Date.now();
      // Only the holder renews, and only while its lease has not expired (else another may have taken it).
      return (
        this.run(
          "UPDATE sync_leases SET expires_at = ? WHERE global_version_id = ? AND owner = ? AND expires_at > ?",
          now + ttlMs,
          versionId,
          owner,
          now,
        ) > 0
      );
    });
  }

  releaseSyncLease(versionId: number, owner: string): void {
    this.write(() => {
      this.run("DELETE FROM sync_leases WHERE global_version_id = ? AND owner = ?", versionId, owner);
    });
  }

  getSyncLease(versionId: number): SyncLease | undefined {
    const row = this.get<{ owner: string; expires_at: number }>(
      "SELECT owner, expires_at FROM sync_leases WHERE global_version_id = ? AND expires_at > ?",
      versionId,
      Date.now(),
    );
    return row && { versionId, owner: row.owner, expiresAt: new Date(row.expires_at) };
  }

  getSyncState(versionId: number): VersionSyncState {
    const phases = new Set(
      this.all<{ phase: string }>("SELECT phase FROM sync_phases WHERE global_version_id = ?", versionId).map(
        (r) => r.phase,
      ),
    );
    const count = (table: string) =>
      (this.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE global_version_id = ?`, versionId)
        ?.n ?? 0) as number;
    const labelCounts: Record<string, number> = {};
    for (const r of this.all<{ language: string; n: number }>(
      `SELECT lt.language, COUNT(*) AS n FROM version_labels vl JOIN labels_cache lt ON lt.id = vl.label_text_id
       WHERE vl.global_version_id = ? GROUP BY lt.language`,
      versionId,
    )) {
      labelCounts[r.language] = r.n;
    }
    return {
      versionId,
      completedPhases: SYNC_PHASES.filter((p) => phases.has(p)),
      publicEntityCount: count("version_public_entities"),
      dataEntityCount: count("version_data_entities"),
      enumerationCount: count("version_enumerations"),
      labelCounts,
    };
  }

  private static assertPhase(phase: SyncPhase): void {
    if (!SYNC_PHASES.includes(phase)) throw new ConfigurationError(`Unknown sync phase ${String(phase)}`);
  }

  markPhaseComplete(versionId: number, phase: SyncPhase): void {
    SqliteMetadataStore.assertPhase(phase);
    this.write(() => {
      this.requireVersion(versionId);
      this.run(
        `INSERT INTO sync_phases (global_version_id, phase, completed_at) VALUES (?, ?, ?)
         ON CONFLICT(global_version_id, phase) DO NOTHING`,
        versionId,
        phase,
        Date.now(),
      );
    });
  }

  resetPhase(versionId: number, phase: SyncPhase): void {
    SqliteMetadataStore.assertPhase(phase);
    const membership: Record<SyncPhase, string> = {
      dataEntities: "version_data_entities",
      publicEntities: "version_public_entities",
      enumerations: "version_enumerations",
      labels: "version_labels",
    };
    this.writeMetadata(() => {
      this.requireVersion(versionId);
      this.run("DELETE FROM sync_phases WHERE global_version_id = ? AND phase = ?", versionId, phase);
      this.run(`DELETE FROM ${membership[phase]} WHERE global_version_id = ?`, versionId);
    });
  }

  // ---------------------------------------------------------------- writes

  writeDataEntities(versionId: number, entities: readonly DataEntity[]): WriteResult {
    return this.writeMetadata(() => {
      this.requireVersion(versionId);
      const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
      const find = this.stmt("SELECT id FROM data_entities WHERE content_hash = ?").pluck();
      const insert = this.stmt(
        `INSERT INTO data_entities (content_hash, name, public_entity_name, public_collection_name, label_id,
           entity_category, data_service_enabled, data_management_enabled, is_read_only)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const index = this.stmt(INDEX_SQL);
      const member = this.stmt(
        `INSERT INTO version_data_entities (global_version_id, name, data_entity_id) VALUES (?, ?, ?)
         ON CONFLICT(global_version_id, name) DO UPDATE SET data_entity_id = excluded.data_entity_id
         WHERE data_entity_id <> excluded.data_entity_id`,
      );
      for (const e of entities) {
        const hash = hashDataEntity(e);
        let id = find.get(hash) as number | undefined;
        if (id === undefined) {
          id = Number(
            insert.run(
              hash,
              e.name,
              e.publicEntityName ?? null,
              e.publicCollectionName ?? null,
              e.labelId ?? null,
              e.entityCategory ?? null,
              bit(e.dataServiceEnabled),
              bit(e.dataManagementEnabled),
              bit(e.isReadOnly),
            ).lastInsertRowid,
          );
          index.run(
            searchRowId(id, 0, "dataEntity", e.name),
            e.name,
            e.publicCollectionName ?? "",
            identifierWords(e.name, e.publicCollectionName),
            "",
          );
          result.rowsWritten += 1;
        } else {
          result.definitionsReused += 1;
        }
        result.rowsWritten += member.run(versionId, e.name, id).changes;
      }
      return result;
    });
  }

  writePublicEntities(versionId: number, entities: readonly PublicEntity[]): WriteResult {
    return this.writeMetadata(() => {
      this.requireVersion(versionId);
      const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
      const find = this.stmt("SELECT id FROM public_entities WHERE content_hash = ?").pluck();
      const member = this.stmt(
        `INSERT INTO version_public_entities (global_version_id, name, public_entity_id) VALUES (?, ?, ?)
         ON CONFLICT(global_version_id, name) DO UPDATE SET public_entity_id = excluded.public_entity_id
         WHERE public_entity_id <> excluded.public_entity_id`,
      );
      for (const e of entities) {
        const hash = hashPublicEntity(e);
        let id = find.get(hash) as number | undefined;
        if (id === undefined) {
          const inserted = this.insertPublicEntity(hash, e);
          id = inserted.id;
          result.rowsWritten += inserted.rows;
        } else {
          result.definitionsReused += 1;
        }
        result.rowsWritten += member.run(versionId, e.name, id).changes;
      }
      return result;
    });
  }

  private insertPublicEntity(hash: string, e: PublicEntity): { id: number; rows: number } {
    const index = this.stmt(INDEX_SQL);
    const memberIndex = this.stmt(MEMBER_INDEX_SQL);
    checkOrdinal(Math.max(e.properties.length, e.actions.length), `Public entity ${e.name}`);
    const id = Number(
      this.stmt(
        `INSERT INTO public_entities (content_hash, name, entity_set_name, label_id, is_read_only,
           configuration_enabled, property_count, navigation_count, action_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        hash,
        e.name,
        e.entitySetName,
        e.labelId ?? null,
        bit(e.isReadOnly),
        bit(e.configurationEnabled),
        e.properties.length,
        e.navigationProperties.length,
        e.actions.length,
      ).lastInsertRowid,
    );
    let rows = 1;
    index.run(
      searchRowId(id, 0, "publicEntity", e.name),
      e.name,
      e.entitySetName,
      identifierWords(e.name, e.entitySetName),
      "",
    );
    const insertProperty = this.stmt(
      `INSERT INTO entity_properties (entity_id, name, type_name, data_type, label_id, is_key, is_mandatory,
         configuration_enabled, allow_edit, allow_edit_on_create, is_dimension, dimension_relation,
         is_dynamic_dimension, dimension_legal_entity_property, dimension_type_property, property_order)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    e.properties.forEach((p, order) => {
      insertProperty.run(
        id,
        p.name,
        p.typeName,
        p.dataType,
        p.labelId ?? null,
        bit(p.isKey),
        bit(p.isMandatory),
        bit(p.configurationEnabled),
        bit(p.allowEdit),
        bit(p.allowEditOnCreate),
        bit(p.isDimension),
        p.dimensionRelation ?? null,
        bit(p.isDynamicDimension),
        p.dimensionLegalEntityProperty ?? null,
        p.dimensionTypeProperty ?? null,
        order,
      );
      memberIndex.run(searchRowId(id, order, "property", p.name), p.name, "", identifierWords(p.name), "");
      rows += 1;
    });
    const insertNavigation = this.stmt(
      `INSERT INTO navigation_properties (entity_id, name, related_entity, related_relation_name, cardinality,
         navigation_order) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const insertConstraint = this.stmt(
      `INSERT INTO relation_constraints (navigation_property_id, constraint_type, property_name, referenced_property,
         related_property, fixed_value, fixed_value_str, constraint_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    e.navigationProperties.forEach((n, order) => {
      const navigationId = Number(
        insertNavigation.run(id, n.name, n.relatedEntity, n.relatedRelationName ?? null, n.cardinality, order)
          .lastInsertRowid,
      );
      rows += 1;
      n.constraints.forEach((c, constraintOrder) => {
        switch (c.kind) {
          case "Referential":
            insertConstraint.run(
              navigationId,
              c.kind,
              c.property,
              c.referencedProperty,
              null,
              null,
              null,
              constraintOrder,
            );
            break;
          case "Fixed":
            insertConstraint.run(
              navigationId,
              c.kind,
              c.property,
              null,
              null,
              c.value ?? null,
              c.valueStr ?? null,
              constraintOrder,
            );
            break;
          case "RelatedFixed":
            insertConstraint.run(
              navigationId,
              c.kind,
              null,
              null,
              c.relatedProperty,
              c.value ?? null,
              c.valueStr ?? null,
              constraintOrder,
            );
            break;
          default:
            throw new ConfigurationError(
              `Unknown relation constraint kind ${String((c as { kind: unknown }).kind)} on ${e.name}.${n.name}`,
            );
        }
        rows += 1;
      });
    });
    const insertGroup = this.stmt(
      "INSERT INTO property_groups (entity_id, name, group_order) VALUES (?, ?, ?)",
    );
    const insertGroupMember = this.stmt(
      "INSERT INTO property_group_members (property_group_id, property_name, member_order) VALUES (?, ?, ?)",
    );
    e.propertyGroups.forEach((g, order) => {
      const groupId = Number(insertGroup.run(id, g.name, order).lastInsertRowid);
      rows += 1;
      g.properties.forEach((name, memberOrder) => {
        insertGroupMember.run(groupId, name, memberOrder);
        rows += 1;
      });
    });
    const insertAction = this.stmt(
      `INSERT INTO entity_actions (entity_id, name, binding_kind, field_lookup, return_type_name,
         return_is_collection, action_order) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertParameter = this.stmt(
      `INSERT INTO action_parameters (action_id, name, type_name, is_collection, parameter_order)
       VALUES (?, ?, ?, ?, ?)`,
    );
    e.actions.forEach((a, order) => {
      const actionId = Number(
        insertAction.run(
          id,
          a.name,
          a.bindingKind,
          a.fieldLookup ?? null,
          a.returnType ? a.returnType.typeName : null,
          a.returnType ? bit(a.returnType.isCollection) : null,
          order,
        ).lastInsertRowid,
      );
      memberIndex.run(searchRowId(id, order, "action", a.name), a.name, "", identifierWords(a.name), "");
      rows += 1;
      a.parameters.forEach((p, parameterOrder) => {
        insertParameter.run(actionId, p.name, p.type.typeName, bit(p.type.isCollection), parameterOrder);
        rows += 1;
      });
    });
    return { id, rows };
  }

  writeEnumerations(versionId: number, enumerations: readonly Enumeration[]): WriteResult {
    return this.writeMetadata(() => {
      this.requireVersion(versionId);
      const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
      const find = this.stmt("SELECT id FROM enumerations WHERE content_hash = ?").pluck();
      const insert = this.stmt(
        "INSERT INTO enumerations (content_hash, name, label_id, member_count) VALUES (?, ?, ?, ?)",
      );
      const insertMember = this.stmt(
        `INSERT INTO enumeration_members (enumeration_id, name, value, label_id, configuration_enabled, member_order)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      const index = this.stmt(INDEX_SQL);
      const memberIndex = this.stmt(MEMBER_INDEX_SQL);
      const member = this.stmt(
        `INSERT INTO version_enumerations (global_version_id, name, enumeration_id) VALUES (?, ?, ?)
         ON CONFLICT(global_version_id, name) DO UPDATE SET enumeration_id = excluded.enumeration_id
         WHERE enumeration_id <> excluded.enumeration_id`,
      );
      for (const e of enumerations) {
        const hash = hashEnumeration(e);
        let id = find.get(hash) as number | undefined;
        if (id === undefined) {
          checkOrdinal(e.members.length, `Enumeration ${e.name}`);
          const enumerationId = Number(
            insert.run(hash, e.name, e.labelId ?? null, e.members.length).lastInsertRowid,
          );
          id = enumerationId;
          index.run(
            searchRowId(enumerationId, 0, "enumeration", e.name),
            e.name,
            "",
            identifierWords(e.name),
            "",
          );
          result.rowsWritten += 1;
          e.members.forEach((m, order) => {
            insertMember.run(
              enumerationId,
              m.name,
              m.value,
              m.labelId ?? null,
              bit(m.configurationEnabled),
              order,
            );
            memberIndex.run(
              searchRowId(enumerationId, order, "enumMember", m.name),
              m.name,
              "",
              identifierWords(m.name),
              "",
            );
            result.rowsWritten += 1;
          });
        } else {
          result.definitionsReused += 1;
        }
        result.rowsWritten += member.run(versionId, e.name, id).changes;
      }
      return result;
    });
  }

  writeLabels(versionId: number, labels: readonly Label[]): WriteResult {
    return this.writeMetadata(() => {
      this.requireVersion(versionId);
      const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
      const find = this.stmt(
        "SELECT id FROM labels_cache WHERE label_id = ? AND language = ? AND label_text = ?",
      ).pluck();
      const insert = this.stmt(
        "INSERT INTO labels_cache (label_id, language, label_text, created_at) VALUES (?, ?, ?, ?)",
      );
      const index = this.stmt(INDEX_SQL);
      const current = this.stmt(
        `SELECT vl.label_text_id FROM labels_cache lt
         CROSS JOIN version_labels vl ON vl.global_version_id = ? AND vl.label_text_id = lt.id
         WHERE lt.label_id = ? AND lt.language = ?`,
      ).pluck();
      const unlink = this.stmt(
        "DELETE FROM version_labels WHERE global_version_id = ? AND label_text_id = ?",
      );
      const link = this.stmt("INSERT INTO version_labels (global_version_id, label_text_id) VALUES (?, ?)");
      const now = Date.now();
      for (const label of labels) {
        if (
          typeof label.id !== "string" ||
          typeof label.value !== "string" ||
          typeof label.language !== "string"
        ) {
          throw new ConfigurationError("A label needs a string id, language and value");
        }
        const language = label.language.toLowerCase();
        let textId = find.get(label.id, language, label.value) as number | undefined;
        if (textId === undefined) {
          textId = Number(insert.run(label.id, language, label.value, now).lastInsertRowid);
          index.run(searchRowId(textId, 0, "label"), "", "", "", label.value);
          result.rowsWritten += 1;
        } else {
          result.definitionsReused += 1;
        }
        const linked = current.get(versionId, label.id, language) as number | undefined;
        if (linked === textId) continue;
        if (linked !== undefined) unlink.run(versionId, linked);
        link.run(versionId, textId);
        result.rowsWritten += 1;
      }
      return result;
    });
  }

  /** Distinct label ids used by the version's definitions (entities, properties, enumerations, members). */
  private static readonly REFERENCED_LABELS = `
    SELECT d.label_id FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
      WHERE v.global_version_id = @v AND d.label_id IS NOT NULL
    UNION SELECT p.label_id FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
      WHERE v.global_version_id = @v AND p.label_id IS NOT NULL
    UNION SELECT ep.label_id FROM version_public_entities v JOIN entity_properties ep ON ep.entity_id = v.public_entity_id
      WHERE v.global_version_id = @v AND ep.label_id IS NOT NULL
    UNION SELECT e.label_id FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
      WHERE v.global_version_id = @v AND e.label_id IS NOT NULL
    UNION SELECT m.label_id FROM version_enumerations v JOIN enumeration_members m ON m.enumeration_id = v.enumeration_id
      WHERE v.global_version_id = @v AND m.label_id IS NOT NULL`;

  listMissingLabelIds(versionId: number, language: string): string[] {
    return this.stmt(
      `SELECT r.label_id FROM (${SqliteMetadataStore.REFERENCED_LABELS}) r
       WHERE r.label_id <> '' AND NOT EXISTS (
         SELECT 1 FROM labels_cache lt CROSS JOIN version_labels vl ON vl.global_version_id = @v AND vl.label_text_id = lt.id
         WHERE lt.label_id = r.label_id AND lt.language = @lang)
       ORDER BY r.label_id`,
    )
      .pluck()
      .all({ v: versionId, lang: language.toLowerCase() }) as string[];
  }

  listReferencedLabelIds(versionId: number): string[] {
    return this.stmt(`SELECT label_id FROM (${SqliteMetadataStore.REFERENCED_LABELS}) ORDER BY label_id`)
      .pluck()
      .all({ v: versionId }) as string[];
  }

  completeVersion(versionId: number): void {
    this.write(() => {
      this.requireVersion(versionId);
      const now = Date.now();
      const counts = this.getCounts(versionId);
      this.run(
        `UPDATE metadata_versions SET sync_completed_at = ?, entity_count = ?, data_entity_count = ?,
           property_count = ?, action_count = ?, enumeration_count = ?, label_count = ?
         WHERE global_version_id = ?`,
        now,
        counts.publicEntities,
        counts.dataEntities,
        counts.properties,
        counts.actions,
        counts.enumerations,
        counts.labels,
        versionId,
      );
      this.run(
        `UPDATE global_versions SET status = 'complete', completed_at = COALESCE(completed_at, ?), last_used_at = ?
         WHERE id = ?`,
        now,
        now,
        versionId,
      );
    });
  }

  // ---------------------------------------------------------------- reads

  getDataEntity(versionId: number, name: string): DataEntity | undefined {
    const row = this.get<{
      name: string;
      public_entity_name: string | null;
      public_collection_name: string | null;
      label_id: string | null;
      entity_category: string | null;
      data_service_enabled: number;
      data_management_enabled: number;
      is_read_only: number;
    }>(
      `SELECT d.* FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
       WHERE v.global_version_id = ? AND v.name = ?`,
      versionId,
      name,
    );
    if (!row) return undefined;
    return {
      name: row.name,
      publicEntityName: row.public_entity_name,
      publicCollectionName: row.public_collection_name,
      labelId: row.label_id,
      dataServiceEnabled: row.data_service_enabled === 1,
      dataManagementEnabled: row.data_management_enabled === 1,
      entityCategory: row.entity_category,
      isReadOnly: row.is_read_only === 1,
    };
  }

  getPublicEntity(versionId: number, name: string): PublicEntity | undefined {
    const row = this.get<PublicEntityRow>(
      `SELECT p.* FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
       WHERE v.global_version_id = ? AND v.name = ?`,
      versionId,
      name,
    );
    return row && this.loadPublicEntity(row);
  }

  getPublicEntityBySetName(versionId: number, entitySetName: string): PublicEntity | undefined {
    const row = this.get<PublicEntityRow>(
      `SELECT p.* FROM public_entities p
       CROSS JOIN version_public_entities v ON v.public_entity_id = p.id AND v.global_version_id = ?
       WHERE p.entity_set_name = ?`,
      versionId,
      entitySetName,
    );
    return row && this.loadPublicEntity(row);
  }

  private loadPublicEntity(row: PublicEntityRow): PublicEntity {
    const properties: EntityProperty[] =
      row.property_count === 0
        ? []
        : this.allRaw(
            `SELECT name, type_name, data_type, label_id, is_key, is_mandatory, configuration_enabled, allow_edit,
               allow_edit_on_create, is_dimension, dimension_relation, is_dynamic_dimension,
               dimension_legal_entity_property, dimension_type_property
             FROM entity_properties WHERE entity_id = ? ORDER BY property_order`,
            row.id,
          ).map((p) => ({
            name: p[0] as string,
            typeName: p[1] as string,
            dataType: p[2] as string,
            labelId: p[3] as string | null,
            isKey: p[4] === 1,
            isMandatory: p[5] === 1,
            configurationEnabled: p[6] === 1,
            allowEdit: p[7] === 1,
            allowEditOnCreate: p[8] === 1,
            isDimension: p[9] === 1,
            dimensionRelation: p[10] as string | null,
            isDynamicDimension: p[11] === 1,
            dimensionLegalEntityProperty: p[12] as string | null,
            dimensionTypeProperty: p[13] as string | null,
          }));
    const navigationProperties: NavigationProperty[] = [];
    if (row.navigation_count > 0) {
      const byId = new Map<number, NavigationProperty>();
      for (const n of this.all<{
        id: number;
        name: string;
        related_entity: string;
        related_relation_name: string | null;
        cardinality: string;
      }>("SELECT * FROM navigation_properties WHERE entity_id = ? ORDER BY navigation_order", row.id)) {
        const navigation: NavigationProperty = {
          name: n.name,
          relatedEntity: n.related_entity,
          relatedRelationName: n.related_relation_name,
          cardinality: n.cardinality,
          constraints: [],
        };
        byId.set(n.id, navigation);
        navigationProperties.push(navigation);
      }
      for (const c of this.all<ConstraintRow>(
        `SELECT c.* FROM navigation_properties n JOIN relation_constraints c ON c.navigation_property_id = n.id
         WHERE n.entity_id = ? ORDER BY n.navigation_order, c.constraint_order`,
        row.id,
      )) {
        byId.get(c.navigation_property_id)?.constraints.push(toConstraint(c));
      }
    }
    const propertyGroups: PropertyGroup[] = [];
    {
      const byId = new Map<number, PropertyGroup>();
      for (const g of this.all<{ id: number; name: string }>(
        "SELECT id, name FROM property_groups WHERE entity_id = ? ORDER BY group_order",
        row.id,
      )) {
        const group: PropertyGroup = { name: g.name, properties: [] };
        byId.set(g.id, group);
        propertyGroups.push(group);
      }
      if (byId.size > 0) {
        for (const m of this.all<{ property_group_id: number; property_name: string }>(
          `SELECT m.property_group_id, m.property_name FROM property_groups g
           JOIN property_group_members m ON m.property_group_id = g.id
           WHERE g.entity_id = ? ORDER BY g.group_order, m.member_order`,
          row.id,
        )) {
          byId.get(m.property_group_id)?.properties.push(m.property_name);
        }
      }
    }
    const actions: EntityAction[] = [];
    if (row.action_count > 0) {
      const byId = new Map<number, EntityAction>();
      for (const a of this.all<{
        id: number;
        name: string;
        binding_kind: string;
        field_lookup: string | null;
        return_type_name: string | null;
        return_is_collection: number | null;
      }>("SELECT * FROM entity_actions WHERE entity_id = ? ORDER BY action_order", row.id)) {
        const returnType: ActionTypeRef | null =
          a.return_type_name === null
            ? null
            : { typeName: a.return_type_name, isCollection: a.return_is_collection === 1 };
        const action: EntityAction = {
          name: a.name,
          bindingKind: a.binding_kind,
          fieldLookup: a.field_lookup,
          parameters: [],
          returnType,
        };
        byId.set(a.id, action);
        actions.push(action);
      }
      for (const p of this.all<{ action_id: number; name: string; type_name: string; is_collection: number }>(
        `SELECT p.action_id, p.name, p.type_name, p.is_collection FROM entity_actions a
         JOIN action_parameters p ON p.action_id = a.id
         WHERE a.entity_id = ? ORDER BY a.action_order, p.parameter_order`,
        row.id,
      )) {
        byId.get(p.action_id)?.parameters.push({
          name: p.name,
          type: { typeName: p.type_name, isCollection: p.is_collection === 1 },
        });
      }
    }
    return {
      name: row.name,
      entitySetName: row.entity_set_name,
      labelId: row.label_id,
      isReadOnly: row.is_read_only === 1,
      configurationEnabled: row.configuration_enabled === 1,
      properties,
      navigationProperties,
      propertyGroups,
      actions,
    };
  }

  getEnumeration(versionId: number, name: string): Enumeration | undefined {
    const row = this.get<{ id: number; name: string; label_id: string | null }>(
      `SELECT e.id, e.name, e.label_id FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
       WHERE v.global_version_id = ? AND v.name = ?`,
      versionId,
      name,
    );
    if (!row) return undefined;
    const members = this.all<{
      name: string;
      value: number;
      label_id: string | null;
      configuration_enabled: number;
    }>(
      `SELECT name, value, label_id, configuration_enabled FROM enumeration_members
       WHERE enumeration_id = ? ORDER BY member_order`,
      row.id,
    ).map((m) => ({
      name: m.name,
      value: m.value,
      labelId: m.label_id,
      configurationEnabled: m.configuration_enabled === 1,
    }));
    return { name: row.name, labelId: row.label_id, members };
  }

  private listNames(table: string, versionId: number): string[] {
    return this.stmt(`SELECT name FROM ${table} WHERE global_version_id = ? ORDER BY name`)
      .pluck()
      .all(versionId) as string[];
  }

  listDataEntityNames(versionId: number): string[] {
    return this.listNames("version_data_entities", versionId);
  }

  listPublicEntityNames(versionId: number): string[] {
    return this.listNames("version_public_entities", versionId);
  }

  listEnumerationNames(versionId: number): string[] {
    return this.listNames("version_enumerations", versionId);
  }

  getLabel(versionId: number, id: string, language: string): string | undefined {
    return this.stmt(
      `SELECT lt.label_text FROM labels_cache lt
       CROSS JOIN version_labels vl ON vl.global_version_id = ? AND vl.label_text_id = lt.id
       WHERE lt.label_id = ? AND lt.language = ?`,
    )
      .pluck()
      .get(versionId, id, language.toLowerCase()) as string | undefined;
  }

  getLabels(versionId: number, ids: readonly string[], language: string): Map<string, string> {
    const result = new Map<string, string>();
    if (ids.length === 0) return result;
    const rows = this.all<{ label_id: string; label_text: string }>(
      `SELECT lt.label_id, lt.label_text FROM (SELECT DISTINCT value FROM json_each(?)) j
       CROSS JOIN labels_cache lt ON lt.label_id = j.value AND lt.language = ?
       CROSS JOIN version_labels vl ON vl.global_version_id = ? AND vl.label_text_id = lt.id`,
      JSON.stringify(ids),
      language.toLowerCase(),
      versionId,
    );
    for (const r of rows) result.set(r.label_id, r.label_text);
    return result;
  }

  getCounts(versionId: number): MetadataCounts {
    const entities = this.get<{
      n: number;
      properties: number | null;
      navigation: number | null;
      actions: number | null;
    }>(
      `SELECT COUNT(*) AS n, SUM(p.property_count) AS properties, SUM(p.navigation_count) AS navigation,
         SUM(p.action_count) AS actions
       FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
       WHERE v.global_version_id = ?`,
      versionId,
    );
    const count = (table: string) =>
      this.stmt(`SELECT COUNT(*) FROM ${table} WHERE global_version_id = ?`).pluck().get(versionId) as number;
    return {
      dataEntities: count("version_data_entities"),
      publicEntities: entities?.n ?? 0,
      properties: entities?.properties ?? 0,
      navigationProperties: entities?.navigation ?? 0,
      actions: entities?.actions ?? 0,
      enumerations: count("version_enumerations"),
      labels: count("version_labels"),
    };
  }

  getPublicEntityHashes(versionId: number): Map<string, string> {
    const map = new Map<string, string>();
    for (const r of this.all<{ name: string; content_hash: string }>(
      `SELECT v.name, p.content_hash FROM version_public_entities v
       JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = ? ORDER BY v.name`,
      versionId,
    )) {
      map.set(r.name, r.content_hash);
    }
    return map;
  }

  getContentHash(versionId: number): string {
    const hasher = new VersionContentHasher();
    const sections: [string, string][] = [
      ["dataEntities", "version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id"],
      ["publicEntities", "version_public_entities v JOIN public_entities d ON d.id = v.public_entity_id"],
      ["enumerations", "version_enumerations v JOIN enumerations d ON d.id = v.enumeration_id"],
    ];
    for (const [section, from] of sections) {
      hasher.section(section);
      for (const r of this.stmt(
        `SELECT v.name, d.content_hash FROM ${from} WHERE v.global_version_id = ? ORDER BY v.name`,
      ).iterate(versionId) as IterableIterator<{ name: string; content_hash: string }>) {
        hasher.item(r.name, r.content_hash);
      }
    }
    hasher.section("labels");
    for (const r of this.stmt(
      `SELECT lt.language, lt.label_id, lt.label_text FROM version_labels vl
       JOIN labels_cache lt ON lt.id = vl.label_text_id WHERE vl.global_version_id = ?
       ORDER BY lt.language, lt.label_id`,
    ).iterate(versionId) as IterableIterator<{ language: string; label_id: string; label_text: string }>) {
      hasher.item(r.language, r.label_id, r.label_text);
    }
    return hasher.digest();
  }

  search(query: StoreSearchQuery): StoreSearchResult {
    this.assertOpen();
    return runSearch(
      (sql) => this.stmt(sql),
      (versionId) => this.scopeOf(versionId),
      query,
      (ids) => this.getLabels(query.versionId, ids, query.language ?? "en-us"),
    );
  }

  private static readonly MAX_SCOPES = 4;

  private scopeOf(versionId: number): VersionScope {
    // data_version changes when another connection commits: its writes may change any version.
    const dataVersion = this.stmt("PRAGMA data_version").pluck().get() as number;
    if (dataVersion !== this.scopesDataVersion) {
      this.scopes.clear();
      this.scopesDataVersion = dataVersion;
    }
    let scope = this.scopes.get(versionId);
    if (scope) {
      this.scopes.delete(versionId);
    } else {
      scope = loadVersionScope((sql) => this.stmt(sql), versionId);
      if (this.scopes.size >= SqliteMetadataStore.MAX_SCOPES) {
        this.scopes.delete(this.scopes.keys().next().value as number);
      }
    }
    this.scopes.set(versionId, scope);
    return scope;
  }

  // ---------------------------------------------------------------- maintenance

  cleanupVersions(options: { olderThan: Date; dryRun: boolean }): CleanupResult {
    const cutoff = options.olderThan.getTime();
    if (!Number.isFinite(cutoff))
      throw new ConfigurationError("cleanupVersions needs a valid olderThan date");
    const candidates = `SELECT g.id FROM global_versions g
      WHERE g.last_used_at < @cutoff
        AND NOT EXISTS (SELECT 1 FROM environment_versions ev WHERE ev.global_version_id = g.id AND ev.is_active = 1)
        AND NOT EXISTS (SELECT 1 FROM sync_leases l WHERE l.global_version_id = g.id AND l.expires_at > @now)`;
    const params = { cutoff, now: Date.now() };
    if (options.dryRun) {
      // Reports what a real run would delete, by running it and rolling back.
      let result: CleanupResult = { versionIds: [], definitionsDeleted: 0, labelsDeleted: 0, dryRun: true };
      const rollback = new DryRunRollback();
      try {
        this.write(() => {
          result = { ...this.deleteVersions(candidates, params), dryRun: true };
          throw rollback;
        });
      } catch (error) {
        if (error !== rollback) throw error;
      }
      return result;
    }
    return { ...this.writeMetadata(() => this.deleteVersions(candidates, params)), dryRun: false };
  }

  private deleteVersions(
    candidatesSql: string,
    params: Record<string, number>,
  ): Omit<CleanupResult, "dryRun"> {
    const versionIds = this.stmt(`${candidatesSql} ORDER BY g.id`).pluck().all(params) as number[];
    const deleteVersion = this.stmt("DELETE FROM global_versions WHERE id = ?");
    for (const id of versionIds) deleteVersion.run(id);
    // Collect every definition no version references any more (also those orphaned by resetPhase).
    let definitionsDeleted = 0;
    const unindex = (sql: string, table = SEARCH_TABLE) =>
      this.run(`DELETE FROM ${table} WHERE rowid IN (${sql})`);
    const orphanPublic = `SELECT p.id FROM public_entities p WHERE NOT EXISTS
      (SELECT 1 FROM version_public_entities v WHERE v.public_entity_id = p.id)`;
    unindex(
      `SELECT ${searchRowIdSql("ep.entity_id", "ep.property_order", "property", "ep.name")} FROM entity_properties ep
       WHERE ep.entity_id IN (${orphanPublic})`,
      MEMBER_SEARCH_TABLE,
    );
    unindex(
      `SELECT ${searchRowIdSql("a.entity_id", "a.action_order", "action", "a.name")} FROM entity_actions a
       WHERE a.entity_id IN (${orphanPublic})`,
      MEMBER_SEARCH_TABLE,
    );
    unindex(
      `SELECT ${searchRowIdSql("p.id", "0", "publicEntity", "p.name")} FROM public_entities p WHERE p.id IN (${orphanPublic})`,
    );
    definitionsDeleted += this.run(`DELETE FROM public_entities WHERE id IN (${orphanPublic})`);
    const orphanData = `SELECT d.id FROM data_entities d WHERE NOT EXISTS
      (SELECT 1 FROM version_data_entities v WHERE v.data_entity_id = d.id)`;
    unindex(
      `SELECT ${searchRowIdSql("d.id", "0", "dataEntity", "d.name")} FROM data_entities d WHERE d.id IN (${orphanData})`,
    );
    definitionsDeleted += this.run(`DELETE FROM data_entities WHERE id IN (${orphanData})`);
    const orphanEnums = `SELECT e.id FROM enumerations e WHERE NOT EXISTS
      (SELECT 1 FROM version_enumerations v WHERE v.enumeration_id = e.id)`;
    unindex(
      `SELECT ${searchRowIdSql("m.enumeration_id", "m.member_order", "enumMember", "m.name")} FROM enumeration_members m
       WHERE m.enumeration_id IN (${orphanEnums})`,
      MEMBER_SEARCH_TABLE,
    );
    unindex(
      `SELECT ${searchRowIdSql("e.id", "0", "enumeration", "e.name")} FROM enumerations e WHERE e.id IN (${orphanEnums})`,
    );
    definitionsDeleted += this.run(`DELETE FROM enumerations WHERE id IN (${orphanEnums})`);
    const orphanLabels = `SELECT lt.id FROM labels_cache lt WHERE NOT EXISTS
      (SELECT 1 FROM version_labels v WHERE v.label_text_id = lt.id)`;
    unindex(`SELECT ${searchRowIdSql("id", "0", "label")} FROM (${orphanLabels})`);
    const labelsDeleted = this.run(`DELETE FROM labels_cache WHERE id IN (${orphanLabels})`);
    if (versionIds.length > 0 || definitionsDeleted > 0 || labelsDeleted > 0) {
      this.logger.info({ versionIds, definitionsDeleted, labelsDeleted }, "metadata store cleanup");
    }
    return { versionIds, definitionsDeleted, labelsDeleted };
  }

  getStorageFootprint(): StorageFootprint {
    this.assertOpen();
    let totalBytes = 0;
    for (const suffix of ["", "-wal"]) {
      try {
        totalBytes += statSync(this.location + suffix).size;
      } catch {
        // No WAL file (checkpointed and removed): nothing to add.
      }
    }
    return computeFootprint(this.db, (sql) => this.stmt(sql), totalBytes);
  }

  countMetadataRows(): number {
    const tables = [
      "data_entities",
      "version_data_entities",
      "public_entities",
      "version_public_entities",
      "entity_properties",
      "navigation_properties",
      "relation_constraints",
      "property_groups",
      "property_group_members",
      "entity_actions",
      "action_parameters",
      "enumerations",
      "version_enumerations",
      "enumeration_members",
      "labels_cache",
      "version_labels",
    ];
    return this.stmt(`SELECT ${tables.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(" + ")}`)
      .pluck()
      .get() as number;
  }

  checkIntegrity(): { ok: boolean; messages: string[] } {
    this.assertOpen();
    const messages: string[] = [];
    for (const r of this.db.pragma("integrity_check") as { integrity_check: string }[]) {
      if (r.integrity_check !== "ok") messages.push(r.integrity_check);
    }
    for (const r of this.db.pragma("foreign_key_check") as {
      table: string;
      rowid: number;
      parent: string;
    }[]) {
      messages.push(`foreign key violation: ${r.table} row ${r.rowid} -> ${r.parent}`);
    }
    // Every definition, label text and member has exactly one row in its index.
    const expected: [string, string][] = [
      [
        SEARCH_TABLE,
        `SELECT (SELECT COUNT(*) FROM data_entities) + (SELECT COUNT(*) FROM public_entities)
          + (SELECT COUNT(*) FROM enumerations) + (SELECT COUNT(*) FROM labels_cache)`,
      ],
      [
        MEMBER_SEARCH_TABLE,
        `SELECT (SELECT COUNT(*) FROM entity_properties) + (SELECT COUNT(*) FROM entity_actions)
          + (SELECT COUNT(*) FROM enumeration_members)`,
      ],
    ];
    for (const [table, countSql] of expected) {
      try {
        this.db.exec(`INSERT INTO ${table}(${table}) VALUES ('integrity-check')`);
      } catch (error) {
        messages.push(`search index ${table}: ${(error as Error).message}`);
      }
      const indexed = this.stmt(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
      const indexable = this.stmt(countSql).pluck().get() as number;
      if (indexed !== indexable)
        messages.push(`search index ${table} has ${indexed} rows for ${indexable} items`);
    }
    const badCounts = this.all<{ id: number; reference_count: number; linked: number }>(
      `SELECT g.id, g.reference_count, (SELECT COUNT(*) FROM environment_versions ev
         WHERE ev.global_version_id = g.id AND ev.is_active = 1) AS linked
       FROM global_versions g WHERE g.reference_count <> linked`,
    );
    for (const r of badCounts) {
      messages.push(
        `global version ${r.id}: reference_count ${r.reference_count} but ${r.linked} linked environments`,
      );
    }
    return { ok: messages.length === 0, messages };
  }
}

interface PublicEntityRow {
  id: number;
  name: string;
  entity_set_name: string;
  label_id: string | null;
  is_read_only: number;
  configuration_enabled: number;
  property_count: number;
  navigation_count: number;
  action_count: number;
}

interface ConstraintRow {
  navigation_property_id: number;
  constraint_type: string;
  property_name: string | null;
  referenced_property: string | null;
  related_property: string | null;
  fixed_value: number | null;
  fixed_value_str: string | null;
}

function toConstraint(c: ConstraintRow): RelationConstraint {
  switch (c.constraint_type) {
    case "Referential":
      return {
        kind: "Referential",
        property: c.property_name ?? "",
        referencedProperty: c.referenced_property ?? "",
      };
    case "Fixed":
      return {
        kind: "Fixed",
        property: c.property_name ?? "",
        value: c.fixed_value,
        valueStr: c.fixed_value_str,
      };
    default:
      return {
        kind: "RelatedFixed",
        relatedProperty: c.related_property ?? "",
        value: c.fixed_value,
        valueStr: c.fixed_value_str,
      };
  }
}
