/**
 * Writes caches in the Python tool's formats, the way that tool writes them, defects included
 * (python-cache-formats.md): for the migration tests and the import benchmark, which must build
 * their own v2 and v1 files. Not part of the library's public surface.
 *
 * v2, as the Python tool 0.3.7 does: module lines rejected by its strict five-part split are not
 * stored; `modules_hash`/`version_hash` over the stored lines; every FixedConstraint twice; label
 * texts only in `labels_cache`; 1-based property, parameter and enum member order, group members
 * at order 0; WAL mode, checkpointed on close. Options reproduce its silent failures.
 */
import { createHash } from "node:crypto";
import { isRejectedByPythonSplit } from "../../../migration/repair.js";
import type { PythonVersionContent } from "../../../migration/types.js";
import { ModuleVersionInfo, type ModuleVersionInfoJson } from "../../../version/models.js";
import { PYTHON_V1_DDL, PYTHON_V2_DDL } from "./ddl.js";
import { create, finish, insertContent } from "./fixture-rows.js";

export interface PythonV2VersionSpec {
  /** The live module list; lines the Python tool could not parse are left out, as it did. */
  modules: readonly ModuleVersionInfoJson[];
  content: PythonVersionContent;
  /** `metadata_versions` rows, oldest first (default: one completed run). */
  runs?: readonly { completed: boolean }[];
  /** A 429 during the Python sync: the collection is left empty, the version still "completed". */
  throttled?: { publicEntities?: boolean; enumerations?: boolean; labelIds?: readonly string[] };
  /** Store each FixedConstraint twice (the parser bug; default true). */
  duplicateFixedConstraints?: boolean;
}

export interface PythonV2EnvironmentSpec {
  baseUrl: string;
  name?: string;
  /** Index into `versions` of the active version. */
  version: number;
  /** Older versions it was linked to (inactive links). */
  history?: readonly number[];
  /** `environment_versions.sync_status` of the active link (default `completed`). */
  syncStatus?: string;
  lastSyncAt?: string | null;
}

export interface PythonV1VersionSpec {
  applicationVersion: string | null;
  platformVersion: string | null;
  isActive: boolean;
  content: PythonVersionContent;
  createdAt?: string;
}

const TS = "2026-12-01 08:00:00";
const b = (v: boolean) => (v ? 1 : 0);
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

function pythonSorted(modules: readonly ModuleVersionInfo[]): ModuleVersionInfo[] {
  // Python's sorted() is stable; JavaScript's sort is too.
  return [...modules].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
}

/** The Python tool's `_calculate_modules_hash` over the lines it parsed. */
export function pythonModulesHash(modules: readonly ModuleVersionInfo[]): string {
  return sha256(
    pythonSorted(modules)
      .map((m) => `${m.moduleId}:${m.version}`)
      .join("|"),
  );
}

function pythonVersionHash(modules: readonly ModuleVersionInfo[]): string {
  return sha256(
    pythonSorted(modules)
      .map((m) => [m.moduleId, m.version, m.name, m.publisher, m.displayName].join(":"))
      .join("|"),
  );
}

/** The module lines the Python tool kept (its strict split rejects the others). */
export function pythonParsedModules(modules: readonly ModuleVersionInfoJson[]): ModuleVersionInfo[] {
  return modules.map((m) => new ModuleVersionInfo(m)).filter((m) => !isRejectedByPythonSplit(m.toString()));
}

export function writePythonV2Cache(
  path: string,
  spec: { versions: readonly PythonV2VersionSpec[]; environments: readonly PythonV2EnvironmentSpec[] },
): void {
  const db = create(path, PYTHON_V2_DDL);
  db.transaction(() => {
    const envIds = spec.environments.map((env) =>
      Number(
        db
          .prepare(
            `INSERT INTO metadata_environments (base_url, environment_name, created_at, last_sync_at, last_version_check)
             VALUES (?, ?, ?, ?, ?)`,
          )
          .run(
            env.baseUrl,
            env.name ?? new URL(env.baseUrl).hostname.split(".")[0],
            TS,
            env.lastSyncAt ?? null,
            TS,
          ).lastInsertRowid,
      ),
    );
    const versionIds = spec.versions.map((v, index) => {
      const parsed = pythonParsedModules(v.modules);
      const creator = spec.environments.findIndex((e) => e.version === index);
      const id = Number(
        db
          .prepare(
            `INSERT INTO global_versions (version_hash, modules_hash, first_seen_at, last_used_at, reference_count,
               metadata_size_bytes, created_by_environment_id) VALUES (?, ?, ?, ?, ?, 0, ?)`,
          )
          .run(
            pythonVersionHash(parsed),
            pythonModulesHash(parsed),
            TS,
            TS,
            1,
            creator >= 0 ? envIds[creator] : null,
          ).lastInsertRowid,
      );
      const mod = db.prepare(
        `INSERT INTO global_version_modules (global_version_id, module_id, module_name, version, publisher, display_name,
           sort_order) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      [...parsed]
        .sort((a, b) => (a.moduleId + "\u0000" + a.name < b.moduleId + "\u0000" + b.name ? -1 : 1))
        .forEach((m, i) => {
          mod.run(id, m.moduleId, m.name, m.version, m.publisher, m.displayName, i);
        });
      const t = v.throttled ?? {};
      const content: PythonVersionContent = {
        dataEntities: v.content.dataEntities,
        publicEntities: t.publicEntities ? [] : v.content.publicEntities,
        enumerations: t.enumerations ? [] : v.content.enumerations,
        labels: [],
      };
      insertContent(db, "v2", id, content, v.duplicateFixedConstraints ?? true);
      // The Python sync fetched label texts after the enumerations: a throttled enumeration call left none.
      const dropped = new Set((t.labelIds ?? []).map((l) => l.toLowerCase()));
      const labels = t.enumerations ? [] : v.content.labels.filter((l) => !dropped.has(l.id.toLowerCase()));
      const label = db.prepare(
        "INSERT OR REPLACE INTO labels_cache (global_version_id, label_id, language, label_text) VALUES (?, ?, ?, ?)",
      );
      for (const l of labels) label.run(id, l.id, l.language, l.value);
      const run = db.prepare(
        `INSERT INTO metadata_versions (global_version_id, created_at, sync_completed_at, entity_count, action_count,
           enumeration_count, label_count) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      const actions = content.publicEntities.reduce((n, e) => n + e.actions.length, 0);
      for (const r of v.runs ?? [{ completed: true }]) {
        run.run(
          id,
          TS,
          r.completed ? TS : null,
          content.dataEntities.length,
          actions,
          content.enumerations.length,
          labels.length,
        );
      }
      return id;
    });
    const link = db.prepare(
      `INSERT OR REPLACE INTO environment_versions (environment_id, global_version_id, detected_at, is_active, sync_status)
       VALUES (?, ?, ?, ?, ?)`,
    );
    spec.environments.forEach((env, i) => {
      for (const old of env.history ?? [])
        link.run(envIds[i], versionIds[old], "2026-11-01 08:00:00", 0, "pending");
      link.run(envIds[i], versionIds[env.version], TS, 1, env.syncStatus ?? "completed");
    });
  })();
  finish(db);
}

export function writePythonV1Cache(
  path: string,
  spec: { baseUrl: string; name?: string; versions: readonly PythonV1VersionSpec[] },
): void {
  const db = create(path, PYTHON_V1_DDL);
  db.transaction(() => {
    const envId = Number(
      db
        .prepare(
          "INSERT INTO metadata_environments (base_url, environment_name, created_at, last_sync_at) VALUES (?, ?, ?, ?)",
        )
        .run(
          spec.baseUrl,
          spec.name ?? new URL(spec.baseUrl).hostname,
          "2025-08-18 09:00:00.000000+00:00",
          "2025-08-18 09:30:00.000000+00:00",
        ).lastInsertRowid,
    );
    const label = db.prepare(
      "INSERT OR REPLACE INTO labels_cache (label_id, language, value, cached_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    );
    for (const v of spec.versions) {
      const hash = sha256(
        JSON.stringify({ application_version: v.applicationVersion, platform_version: v.platformVersion })
          .replace(/":/g, '": ')
          .replace(/,"/g, ', "'),
      ).slice(0, 16);
      const id = Number(
        db
          .prepare(
            `INSERT INTO metadata_versions (environment_id, version_hash, application_version, platform_version, package_info,
               created_at, is_active) VALUES (?, ?, ?, ?, '[]', ?, ?)`,
          )
          .run(
            envId,
            hash,
            v.applicationVersion,
            v.platformVersion,
            v.createdAt ?? "2025-08-18 09:00:00.000000+00:00",
            b(v.isActive),
          ).lastInsertRowid,
      );
      insertContent(db, "v1", id, v.content, true);
      for (const l of v.content.labels)
        label.run(l.id, l.language, l.value, "2025-08-18 09:10:00", "2025-08-19 09:10:00");
    }
  })();
  finish(db);
}
