/**
 * Environments (base URLs), global versions (module sets) and linking an environment to the
 * version it serves. Version creation and linking run in `BEGIN IMMEDIATE` transactions backed by
 * unique constraints, so they are race-free across processes.
 */
import { CacheError, ConfigurationError } from "../../errors.js";
import { type EnvironmentVersionInfo, ModuleVersionInfo, VERSION_HASH_LENGTH } from "../../version/models.js";
import {
  type EnvironmentRecord,
  type GlobalVersionRecord,
  VERSION_TRUSTS,
  type VersionTrust,
} from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { type EnvironmentRow, type GlobalVersionRow, toEnvironmentRecord, toVersionRecord } from "./rows.js";

const ENVIRONMENT_SELECT = `
  SELECT e.id, e.base_url, e.environment_name, e.created_at, e.last_sync_at, e.last_version_check,
         ev.global_version_id AS version_id
  FROM metadata_environments e
  LEFT JOIN environment_versions ev ON ev.environment_id = e.id AND ev.is_active = 1`;

function environmentNameFromUrl(baseUrl: string): string {
  try {
    const host = new URL(baseUrl).hostname;
    return host.includes(".") ? host.split(".")[0] : host;
  } catch {
    return baseUrl;
  }
}

export function ensureEnvironment(c: SqliteConnection, baseUrl: string, name?: string): EnvironmentRecord {
  if (typeof baseUrl !== "string" || baseUrl.trim() === "") {
    throw new ConfigurationError("An environment needs a non-empty base URL");
  }
  return c.write(() => {
    c.run(
      `INSERT INTO metadata_environments (base_url, environment_name, created_at) VALUES (?, ?, ?)
       ON CONFLICT(base_url) DO NOTHING`,
      baseUrl,
      name ?? environmentNameFromUrl(baseUrl),
      Date.now(),
    );
    if (name !== undefined) {
      c.run("UPDATE metadata_environments SET environment_name = ? WHERE base_url = ?", name, baseUrl);
    }
    return findEnvironment(c, baseUrl) as EnvironmentRecord;
  });
}

export function findEnvironment(c: SqliteConnection, baseUrl: string): EnvironmentRecord | undefined {
  const row = c.get<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.base_url = ?`, baseUrl);
  return row && toEnvironmentRecord(row);
}

export function getEnvironment(c: SqliteConnection, environmentId: number): EnvironmentRecord | undefined {
  const row = c.get<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.id = ?`, environmentId);
  return row && toEnvironmentRecord(row);
}

export function listEnvironments(c: SqliteConnection): EnvironmentRecord[] {
  return c.all<EnvironmentRow>(`${ENVIRONMENT_SELECT} ORDER BY e.id`).map(toEnvironmentRecord);
}

export function requireEnvironment(c: SqliteConnection, environmentId: number): EnvironmentRecord {
  const environment = getEnvironment(c, environmentId);
  if (!environment) throw new ConfigurationError(`Unknown environment id ${environmentId}`);
  return environment;
}

export function recordVersionCheck(c: SqliteConnection, environmentId: number, at: Date = new Date()): void {
  c.write(() => {
    requireEnvironment(c, environmentId);
    c.run(
      "UPDATE metadata_environments SET last_version_check = ? WHERE id = ?",
      at.getTime(),
      environmentId,
    );
  });
}

export function recordSync(
  c: SqliteConnection,
  environmentId: number,
  durationMs: number,
  at: Date = new Date(),
): void {
  c.write(() => {
    requireEnvironment(c, environmentId);
    c.run(
      "UPDATE metadata_environments SET last_sync_at = ?, last_sync_duration_ms = ? WHERE id = ?",
      at.getTime(),
      Math.round(durationMs),
      environmentId,
    );
    c.run(
      "UPDATE environment_versions SET last_sync_duration_ms = ? WHERE environment_id = ? AND is_active = 1",
      Math.round(durationMs),
      environmentId,
    );
  });
}

// ---------------------------------------------------------------- global versions

export function findVersionByModulesHash(
  c: SqliteConnection,
  modulesHash: string,
): GlobalVersionRecord | undefined {
  const row = c.get<GlobalVersionRow>("SELECT * FROM global_versions WHERE modules_hash = ?", modulesHash);
  return row && toVersionRecord(row);
}

export function getVersion(c: SqliteConnection, versionId: number): GlobalVersionRecord | undefined {
  const row = c.get<GlobalVersionRow>("SELECT * FROM global_versions WHERE id = ?", versionId);
  return row && toVersionRecord(row);
}

export function listVersions(c: SqliteConnection): GlobalVersionRecord[] {
  return c.all<GlobalVersionRow>("SELECT * FROM global_versions ORDER BY id").map(toVersionRecord);
}

export function requireVersion(c: SqliteConnection, versionId: number): GlobalVersionRecord {
  const version = getVersion(c, versionId);
  if (!version) throw new ConfigurationError(`Unknown global version id ${versionId}`);
  return version;
}

export function getOrCreateVersion(
  c: SqliteConnection,
  info: EnvironmentVersionInfo,
  createdByEnvironmentId: number | null,
): { version: GlobalVersionRecord; created: boolean } {
  const modulesHash = info.modulesHash;
  if (typeof modulesHash !== "string" || modulesHash.length < VERSION_HASH_LENGTH) {
    throw new ConfigurationError("EnvironmentVersionInfo.modulesHash must be a SHA-256 hex string");
  }
  const existing = findVersionByModulesHash(c, modulesHash);
  if (existing) return { version: existing, created: false };
  return c.write(() => {
    // Re-read under the write lock: another process may have created it meanwhile.
    const raced = findVersionByModulesHash(c, modulesHash);
    if (raced) return { version: raced, created: false };
    if (createdByEnvironmentId !== null) requireEnvironment(c, createdByEnvironmentId);
    const versionHash = uniqueVersionHash(c, info);
    const now = Date.now();
    const versionId = Number(
      c
        .stmt(
          `INSERT INTO global_versions (version_hash, modules_hash, status, first_seen_at, last_used_at,
           reference_count, module_count, application_version, application_build_version, platform_version,
           created_by_environment_id)
         VALUES (?, ?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?)`,
        )
        .run(
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
    insertModules(c, versionId, info.modules);
    c.run(
      `INSERT INTO metadata_versions (global_version_id, application_version, platform_version, created_at)
       VALUES (?, ?, ?, ?)`,
      versionId,
      info.applicationVersion,
      info.platformVersion,
      now,
    );
    if (versionHash !== modulesHash.slice(0, VERSION_HASH_LENGTH)) {
      c.logger.warn(
        { versionHash, modulesHash },
        "version hash prefix collision between different module sets; lengthened",
      );
    }
    return { version: getVersion(c, versionId) as GlobalVersionRecord, created: true };
  });
}

function insertModules(c: SqliteConnection, versionId: number, modules: readonly ModuleVersionInfo[]): void {
  const insertModule = c.stmt(
    `INSERT INTO global_version_modules
       (global_version_id, module_id, module_name, version, publisher, display_name, sort_order)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const sorted = [...modules].sort((a, b) =>
    a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0,
  );
  sorted.forEach((m, i) => {
    insertModule.run(versionId, m.moduleId, m.name, m.version, m.publisher, m.displayName, i);
  });
}

export function setVersionTrust(c: SqliteConnection, versionId: number, trust: VersionTrust): void {
  if (!VERSION_TRUSTS.includes(trust))
    throw new ConfigurationError(`Unknown version trust ${JSON.stringify(trust)}`);
  c.write(() => {
    requireVersion(c, versionId);
    c.run("UPDATE global_versions SET trust = ? WHERE id = ?", trust, versionId);
  });
}

export function rekeyVersion(
  c: SqliteConnection,
  versionId: number,
  info: EnvironmentVersionInfo,
): GlobalVersionRecord {
  return c.write(() => {
    const version = requireVersion(c, versionId);
    if (version.modulesHash === info.modulesHash) return version;
    const other = findVersionByModulesHash(c, info.modulesHash);
    if (other) {
      throw new CacheError(
        `Cannot re-key version ${version.versionHash}: version ${other.versionHash} already has that module set`,
      );
    }
    const versionHash = uniqueVersionHash(c, info);
    c.run(
      `UPDATE global_versions SET modules_hash = ?, version_hash = ?, module_count = ?,
         application_version = COALESCE(?, application_version),
         application_build_version = COALESCE(?, application_build_version),
         platform_version = COALESCE(?, platform_version)
       WHERE id = ?`,
      info.modulesHash,
      versionHash,
      info.modules.length,
      info.applicationVersion,
      info.applicationBuildVersion,
      info.platformVersion,
      versionId,
    );
    c.run("DELETE FROM global_version_modules WHERE global_version_id = ?", versionId);
    insertModules(c, versionId, info.modules);
    return requireVersion(c, versionId);
  });
}

/** The shortest prefix of the modules hash (at least 16 characters) no other module set uses. */
function uniqueVersionHash(c: SqliteConnection, info: EnvironmentVersionInfo): string {
  const modulesHash = info.modulesHash;
  const preferred =
    info.versionHash &&
    modulesHash.startsWith(info.versionHash) &&
    info.versionHash.length >= VERSION_HASH_LENGTH
      ? info.versionHash.length
      : VERSION_HASH_LENGTH;
  for (let length = preferred; length <= modulesHash.length; length++) {
    const candidate = modulesHash.slice(0, length);
    const taken = c.get<{ modules_hash: string }>(
      "SELECT modules_hash FROM global_versions WHERE version_hash = ?",
      candidate,
    );
    if (!taken) return candidate;
  }
  throw new CacheError(`No unique version hash for modules hash ${modulesHash}`);
}

export function getVersionModules(c: SqliteConnection, versionId: number): ModuleVersionInfo[] {
  return c
    .all<{
      module_id: string;
      module_name: string | null;
      version: string | null;
      publisher: string | null;
      display_name: string | null;
    }>(
      `SELECT module_id, module_name, version, publisher, display_name FROM global_version_modules
     WHERE global_version_id = ? ORDER BY sort_order`,
      versionId,
    )
    .map(
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

export function linkEnvironment(
  c: SqliteConnection,
  environmentId: number,
  versionId: number,
): { changed: boolean; previousVersionId: number | null } {
  return c.write(() => {
    const environment = requireEnvironment(c, environmentId);
    const version = requireVersion(c, versionId);
    if (version.status !== "complete") {
      throw new ConfigurationError(
        `Global version ${version.versionHash} is not complete; only a complete version can serve an environment`,
      );
    }
    const previous = environment.versionId;
    const now = Date.now();
    if (previous === versionId) {
      c.run("UPDATE global_versions SET last_used_at = ? WHERE id = ?", now, versionId);
      return { changed: false, previousVersionId: previous };
    }
    if (previous !== null) detach(c, environmentId, previous, now);
    c.run(
      `INSERT INTO environment_versions (environment_id, global_version_id, detected_at, is_active, sync_status)
       VALUES (?, ?, ?, 1, 'completed')
       ON CONFLICT(environment_id, global_version_id) DO UPDATE SET is_active = 1, detected_at = excluded.detected_at`,
      environmentId,
      versionId,
      now,
    );
    c.run(
      "UPDATE global_versions SET reference_count = reference_count + 1, last_used_at = ? WHERE id = ?",
      now,
      versionId,
    );
    return { changed: true, previousVersionId: previous };
  });
}

function detach(c: SqliteConnection, environmentId: number, versionId: number, now: number): void {
  const changed = c.run(
    "UPDATE environment_versions SET is_active = 0 WHERE environment_id = ? AND global_version_id = ? AND is_active = 1",
    environmentId,
    versionId,
  );
  if (changed > 0) {
    c.run(
      "UPDATE global_versions SET reference_count = MAX(reference_count - 1, 0), last_used_at = ? WHERE id = ?",
      now,
      versionId,
    );
  }
}

export function unlinkEnvironment(c: SqliteConnection, environmentId: number): void {
  c.write(() => {
    const environment = requireEnvironment(c, environmentId);
    if (environment.versionId !== null) detach(c, environmentId, environment.versionId, Date.now());
  });
}
