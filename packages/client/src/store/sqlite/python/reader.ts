/**
 * Reads a Python cache copy (see open.ts) into the migration's terms: the inventory (environments,
 * versions, what each version really holds) and one version's metadata as stored. No repair
 * happens here: that is pure logic in src/migration/repair.ts.
 */
import type Database from "better-sqlite3";
import type { PublicEntity } from "../../../metadata/models.js";
import { MigrationSourceError } from "../../../migration/errors.js";
import { parsePythonTimestamp } from "../../../migration/timestamps.js";
import type {
  PythonCacheFile,
  PythonCacheInventory,
  PythonCacheReader,
  PythonEnvironment,
  PythonModuleLine,
  PythonSyncRun,
  PythonVersion,
  PythonVersionContent,
  PythonVersionCounts,
  PythonVersionLink,
} from "../../../migration/types.js";
import { publicEntityWindows, readVersionBasics, readVersionContent } from "./content.js";
import { type Dialect, dialectFor } from "./dialect.js";

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const int = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0) || 0);

export class SqlitePythonCacheReader implements PythonCacheReader {
  readonly file: PythonCacheFile;
  private readonly dialect: Dialect;
  private db: Database.Database | undefined;
  private readonly cleanup: () => void;

  constructor(db: Database.Database, file: PythonCacheFile, cleanup: () => void) {
    this.db = db;
    this.file = file;
    this.cleanup = cleanup;
    this.dialect = dialectFor(file.layout);
  }

  async readInventory(): Promise<PythonCacheInventory> {
    return this.guard(() => {
      const db = this.open();
      const environments = this.readEnvironments(db);
      const versions = this.file.layout === "v2" ? this.readV2Versions(db) : this.readV1Versions(db);
      return { file: this.file, environments, versions };
    });
  }

  async readVersionContent(sourceVersionId: number): Promise<PythonVersionContent> {
    return this.guard(() => readVersionContent(this.open(), this.dialect, sourceVersionId));
  }

  async readVersionBasics(sourceVersionId: number): Promise<Omit<PythonVersionContent, "publicEntities">> {
    return this.guard(() => readVersionBasics(this.open(), this.dialect, sourceVersionId));
  }

  async *publicEntityWindows(sourceVersionId: number, size: number): AsyncIterable<PublicEntity[]> {
    const windows = this.guard(() => publicEntityWindows(this.open(), this.dialect, sourceVersionId, size));
    for (;;) {
      const next = this.guard(() => windows.next());
      if (next.done) return;
      yield next.value;
    }
  }

  async close(): Promise<void> {
    if (!this.db) return;
    this.db.close();
    this.db = undefined;
    this.cleanup();
  }

  private open(): Database.Database {
    if (!this.db) {
      throw new MigrationSourceError("unreadable", this.file.path, "The Python cache reader is closed");
    }
    return this.db;
  }

  /** A damaged page met while reading is the source's fault: a typed error, nothing half-read returned. */
  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof MigrationSourceError) throw error;
      const code = (error as { code?: unknown })?.code;
      const problem = code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" ? "corrupt" : "unreadable";
      throw new MigrationSourceError(problem, this.file.path, `Cannot read ${this.file.path}`, {
        cause: error,
      });
    }
  }

  private readEnvironments(db: Database.Database): PythonEnvironment[] {
    const lastCheck = this.file.layout === "v2" ? "last_version_check" : "NULL";
    const rows = db
      .prepare(
        `SELECT id, base_url, environment_name, created_at, last_sync_at, ${lastCheck} AS last_version_check
         FROM metadata_environments ORDER BY id`,
      )
      .all() as Row[];
    return rows.map((r) => ({
      sourceId: int(r.id),
      baseUrl: String(r.base_url ?? ""),
      name: str(r.environment_name),
      createdAt: parsePythonTimestamp(r.created_at),
      lastSyncAt: parsePythonTimestamp(r.last_sync_at),
      lastVersionCheckAt: parsePythonTimestamp(r.last_version_check),
    }));
  }

  private readV2Versions(db: Database.Database): PythonVersion[] {
    const modules = new Map<number, PythonModuleLine[]>();
    for (const r of db
      .prepare(
        `SELECT global_version_id, module_id, module_name, version, publisher, display_name
         FROM global_version_modules ORDER BY global_version_id, sort_order, id`,
      )
      .all() as Row[]) {
      const list = modules.get(int(r.global_version_id)) ?? [];
      list.push({
        moduleId: String(r.module_id ?? ""),
        name: str(r.module_name) ?? "",
        version: str(r.version) ?? "",
        publisher: str(r.publisher) ?? "",
        displayName: str(r.display_name) ?? "",
      });
      modules.set(int(r.global_version_id), list);
    }
    const links = new Map<number, PythonVersionLink[]>();
    for (const r of db
      .prepare(
        `SELECT environment_id, global_version_id, detected_at, is_active, sync_status
         FROM environment_versions ORDER BY detected_at, environment_id`,
      )
      .all() as Row[]) {
      const list = links.get(int(r.global_version_id)) ?? [];
      list.push({
        environmentSourceId: int(r.environment_id),
        isActive: int(r.is_active) === 1,
        syncStatus: str(r.sync_status),
        detectedAt: parsePythonTimestamp(r.detected_at),
      });
      links.set(int(r.global_version_id), list);
    }
    const runs = new Map<number, PythonSyncRun[]>();
    for (const r of db
      .prepare(
        `SELECT global_version_id, created_at, sync_completed_at, entity_count, action_count,
                enumeration_count, label_count
         FROM metadata_versions ORDER BY id`,
      )
      .all() as Row[]) {
      const list = runs.get(int(r.global_version_id)) ?? [];
      list.push({
        createdAt: parsePythonTimestamp(r.created_at),
        completedAt: parsePythonTimestamp(r.sync_completed_at),
        entityCount: int(r.entity_count),
        actionCount: int(r.action_count),
        enumerationCount: int(r.enumeration_count),
        labelCount: int(r.label_count),
      });
      runs.set(int(r.global_version_id), list);
    }
    const rows = db
      .prepare("SELECT id, version_hash, modules_hash, first_seen_at FROM global_versions ORDER BY id")
      .all() as Row[];
    return rows.map((r) => {
      const id = int(r.id);
      return {
        sourceId: id,
        layout: "v2" as const,
        versionHash: String(r.version_hash ?? ""),
        pythonModulesHash: str(r.modules_hash),
        modules: modules.get(id) ?? [],
        applicationVersion: null,
        platformVersion: null,
        firstSeenAt: parsePythonTimestamp(r.first_seen_at),
        links: links.get(id) ?? [],
        runs: runs.get(id) ?? [],
        counts: this.countVersion(db, id),
      };
    });
  }

  private readV1Versions(db: Database.Database): PythonVersion[] {
    const rows = db
      .prepare(
        `SELECT id, environment_id, version_hash, application_version, platform_version, created_at, is_active
         FROM metadata_versions ORDER BY id`,
      )
      .all() as Row[];
    return rows.map((r) => {
      const id = int(r.id);
      const createdAt = parsePythonTimestamp(r.created_at);
      return {
        sourceId: id,
        layout: "v1" as const,
        versionHash: String(r.version_hash ?? ""),
        pythonModulesHash: null,
        modules: [],
        applicationVersion: str(r.application_version),
        platformVersion: str(r.platform_version),
        firstSeenAt: createdAt,
        links: [
          {
            environmentSourceId: int(r.environment_id),
            isActive: int(r.is_active) === 1,
            syncStatus: null,
            detectedAt: createdAt,
          },
        ],
        runs: [],
        counts: this.countVersion(db, id),
      };
    });
  }

  private countVersion(db: Database.Database, versionId: number): PythonVersionCounts {
    const d = this.dialect;
    const count = (table: keyof Dialect["scope"], extra = "") =>
      int(
        db
          .prepare(`SELECT COUNT(*) FROM ${table} t WHERE ${d.scope[table]}${extra ? ` AND ${extra}` : ""}`)
          .pluck()
          .get({ v: versionId }),
      );
    const fixedRows = count("relation_constraints", "t.constraint_type = 'Fixed'");
    const distinctFixed = int(
      db
        .prepare(
          `SELECT COUNT(*) FROM (SELECT DISTINCT t.navigation_property_id, t.property_name, t.fixed_value,
             t.fixed_value_str FROM relation_constraints t
           WHERE ${d.scope.relation_constraints} AND t.constraint_type = 'Fixed')`,
        )
        .pluck()
        .get({ v: versionId }),
    );
    const refs = d.referencedLabelIds;
    const referenced = int(db.prepare(`SELECT COUNT(*) FROM (${refs})`).pluck().get({ v: versionId }));
    const missing = int(
      db
        .prepare(
          `SELECT COUNT(*) FROM (${refs} EXCEPT SELECT lower(label_id) FROM (${d.labelRows}) WHERE language = 'en-US' COLLATE NOCASE)`,
        )
        .pluck()
        .get({ v: versionId }),
    );
    const labels = int(
      db
        .prepare(`SELECT COUNT(*) FROM (${d.labelRows}) l WHERE lower(l.label_id) IN (${refs})`)
        .pluck()
        .get({ v: versionId }),
    );
    return {
      dataEntities: count("data_entities"),
      expectedPublicEntities: int(
        db
          .prepare(
            `SELECT COUNT(DISTINCT t.public_entity_name) FROM data_entities t WHERE ${d.scope.data_entities}
             AND t.data_service_enabled = 1 AND t.public_entity_name IS NOT NULL AND t.public_entity_name <> ''`,
          )
          .pluck()
          .get({ v: versionId }),
      ),
      publicEntities: count("public_entities"),
      properties: count("entity_properties"),
      navigationProperties: count("navigation_properties"),
      actions: count("entity_actions"),
      enumerations: count("enumerations"),
      labels,
      duplicateFixedConstraints: fixedRows - distinctFixed,
      referencedLabelIds: referenced,
      missingLabelIds: missing,
    };
  }
}
