/**
 * Environments, global versions and links. Coordination across machines rests on the database:
 * version creation runs under a transaction-scoped advisory lock with the UNIQUE `modules_hash` as
 * the backstop; a link locks the environment row and moves the reference counts in the same
 * transaction (a deadlock between two opposite moves is retried by the connection).
 */

import type { Logger } from "d365fo-client";
import {
  CacheError,
  ConfigurationError,
  type EnvironmentVersionInfo,
  ModuleVersionInfo,
  VERSION_HASH_LENGTH,
} from "d365fo-client";
import {
  type EnvironmentRecord,
  type GlobalVersionRecord,
  VERSION_TRUSTS,
  type VersionTrust,
} from "d365fo-client/backend";
import type { PgConnection, Queryable } from "./connection.js";
import { getCountsIn } from "./reads.js";
import {
  ENVIRONMENT_SELECT,
  type EnvironmentRow,
  type GlobalVersionRow,
  toEnvironmentRecord,
  toVersionRecord,
  VERSION_SELECT,
} from "./rows.js";
import { beginMetadataWrite } from "./writes.js";

function environmentNameFromUrl(baseUrl: string): string {
  try {
    const host = new URL(baseUrl).hostname;
    return host.includes(".") ? host.split(".")[0] : host;
  } catch {
    return baseUrl;
  }
}

export async function ensureEnvironment(
  db: PgConnection,
  baseUrl: string,
  name?: string,
): Promise<EnvironmentRecord> {
  if (typeof baseUrl !== "string" || baseUrl.trim() === "") {
    throw new ConfigurationError("An environment needs a non-empty base URL");
  }
  // One statement: insert or (for an explicit name) rename, race-free on the UNIQUE base_url.
  await db.execute(
    `INSERT INTO metadata_environments (base_url, environment_name, created_at) VALUES ($1, $2, now())
     ON CONFLICT (base_url) DO ${name === undefined ? "NOTHING" : "UPDATE SET environment_name = excluded.environment_name"}`,
    [baseUrl, name ?? environmentNameFromUrl(baseUrl)],
  );
  return (await findEnvironment(db, baseUrl)) as EnvironmentRecord;
}

export async function findEnvironment(
  db: Queryable,
  baseUrl: string,
): Promise<EnvironmentRecord | undefined> {
  const [row] = await db.query<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.base_url = $1`, [baseUrl]);
  return row && toEnvironmentRecord(row);
}

export async function getEnvironment(
  db: Queryable,
  environmentId: number,
): Promise<EnvironmentRecord | undefined> {
  const [row] = await db.query<EnvironmentRow>(`${ENVIRONMENT_SELECT} WHERE e.id = $1`, [environmentId]);
  return row && toEnvironmentRecord(row);
}

export async function listEnvironments(db: Queryable): Promise<EnvironmentRecord[]> {
  const rows = await db.query<EnvironmentRow>(`${ENVIRONMENT_SELECT} ORDER BY e.id`);
  return rows.map(toEnvironmentRecord);
}

async function requireEnvironment(
  db: Queryable,
  environmentId: number,
  lock = false,
): Promise<EnvironmentRecord> {
  if (lock) await db.query("SELECT id FROM metadata_environments WHERE id = $1 FOR UPDATE", [environmentId]);
  const environment = await getEnvironment(db, environmentId);
  if (!environment) throw new ConfigurationError(`Unknown environment id ${environmentId}`);
  return environment;
}

export async function recordVersionCheck(db: PgConnection, environmentId: number, at: Date): Promise<void> {
  const changed = await db.execute("UPDATE metadata_environments SET last_version_check = $1 WHERE id = $2", [
    at,
    environmentId,
  ]);
  if (changed === 0) throw new ConfigurationError(`Unknown environment id ${environmentId}`);
}

export async function recordSync(
  db: PgConnection,
  environmentId: number,
  durationMs: number,
  at: Date,
): Promise<void> {
  const duration = Math.round(durationMs);
  await db.transaction(async (tx) => {
    const changed = await tx.execute(
      "UPDATE metadata_environments SET last_sync_at = $1, last_sync_duration_ms = $2 WHERE id = $3",
      [at, duration, environmentId],
    );
    if (changed === 0) throw new ConfigurationError(`Unknown environment id ${environmentId}`);
    await tx.execute(
      "UPDATE environment_versions SET last_sync_duration_ms = $1 WHERE environment_id = $2 AND is_active",
      [duration, environmentId],
    );
  });
}

export async function findVersionByModulesHash(
  db: Queryable,
  modulesHash: string,
): Promise<GlobalVersionRecord | undefined> {
  const [row] = await db.query<GlobalVersionRow>(`${VERSION_SELECT} WHERE modules_hash = $1`, [modulesHash]);
  return row && toVersionRecord(row);
}

export async function getVersion(db: Queryable, versionId: number): Promise<GlobalVersionRecord | undefined> {
  const [row] = await db.query<GlobalVersionRow>(`${VERSION_SELECT} WHERE id = $1`, [versionId]);
  return row && toVersionRecord(row);
}

export async function requireVersion(db: Queryable, versionId: number): Promise<GlobalVersionRecord> {
  const version = await getVersion(db, versionId);
  if (!version) throw new ConfigurationError(`Unknown global version id ${versionId}`);
  return version;
}

export async function listVersions(db: Queryable): Promise<GlobalVersionRecord[]> {
  const rows = await db.query<GlobalVersionRow>(`${VERSION_SELECT} ORDER BY id`);
  return rows.map(toVersionRecord);
}

/** The shortest prefix of the modules hash (at least 16 characters) no other module set uses. */
async function uniqueVersionHash(tx: Queryable, info: EnvironmentVersionInfo): Promise<string> {
  const modulesHash = info.modulesHash;
  const preferred =
    info.versionHash &&
    modulesHash.startsWith(info.versionHash) &&
    info.versionHash.length >= VERSION_HASH_LENGTH
      ? info.versionHash.length
      : VERSION_HASH_LENGTH;
  const taken = new Set(
    (
      await tx.query<{ version_hash: string }>(
        "SELECT version_hash FROM global_versions WHERE version_hash LIKE $1 || '%'",
        [modulesHash.slice(0, VERSION_HASH_LENGTH).replace(/[\\%_]/g, "\\$&")],
      )
    ).map((r) => r.version_hash),
  );
  for (let length = preferred; length <= modulesHash.length; length++) {
    const candidate = modulesHash.slice(0, length);
    if (!taken.has(candidate)) return candidate;
  }
  throw new CacheError(`No unique version hash for modules hash ${modulesHash}`);
}

export async function getOrCreateVersion(
  db: PgConnection,
  logger: Logger,
  info: EnvironmentVersionInfo,
  createdByEnvironmentId: number | null,
): Promise<{ version: GlobalVersionRecord; created: boolean }> {
  const modulesHash = info.modulesHash;
  if (typeof modulesHash !== "string" || modulesHash.length < VERSION_HASH_LENGTH) {
    throw new ConfigurationError("EnvironmentVersionInfo.modulesHash must be a SHA-256 hex string");
  }
  const existing = await findVersionByModulesHash(db, modulesHash);
  if (existing) return { version: existing, created: false };
  return db.transaction(async (tx) => {
    // Version creation is rare: one lock for all of it keeps the version-hash choice race-free too.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('d365fo-client:create-version'))");
    const raced = await findVersionByModulesHash(tx, modulesHash);
    if (raced) return { version: raced, created: false };
    if (createdByEnvironmentId !== null) await requireEnvironment(tx, createdByEnvironmentId);
    const versionHash = await uniqueVersionHash(tx, info);
    const [{ id }] = await tx.query<{ id: number }>(
      `INSERT INTO global_versions (version_hash, modules_hash, status, first_seen_at, last_used_at, reference_count,
         module_count, application_version, application_build_version, platform_version, created_by_environment_id)
       VALUES ($1, $2, 'pending', now(), now(), 0, $3, $4, $5, $6, $7) RETURNING id`,
      [
        versionHash,
        modulesHash,
        info.modules.length,
        info.applicationVersion,
        info.applicationBuildVersion,
        info.platformVersion,
        createdByEnvironmentId,
      ],
    );
    await insertModules(tx, id, info.modules);
    await tx.execute(
      `INSERT INTO metadata_versions (global_version_id, application_version, platform_version, created_at)
       VALUES ($1, $2, $3, now())`,
      [id, info.applicationVersion, info.platformVersion],
    );
    if (versionHash !== modulesHash.slice(0, VERSION_HASH_LENGTH)) {
      logger.warn(
        { versionHash, modulesHash },
        "version hash prefix collision between different module sets; lengthened",
      );
    }
    return { version: (await getVersion(tx, id)) as GlobalVersionRecord, created: true };
  });
}

/** A version's module lines, sorted by module id (the order the modules hash is computed in). */
async function insertModules(
  tx: Queryable,
  versionId: number,
  list: readonly ModuleVersionInfo[],
): Promise<void> {
  const modules = [...list].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
  await tx.execute(
    `INSERT INTO global_version_modules
       (global_version_id, sort_order, module_id, module_name, version, publisher, display_name)
     SELECT $1, o - 1, m, n, v, p, d
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(m, n, v, p, d, o)`,
    [
      versionId,
      modules.map((m) => m.moduleId),
      modules.map((m) => m.name),
      modules.map((m) => m.version),
      modules.map((m) => m.publisher),
      modules.map((m) => m.displayName),
    ],
  );
}

export async function setVersionTrust(db: Queryable, versionId: number, trust: VersionTrust): Promise<void> {
  if (!VERSION_TRUSTS.includes(trust)) {
    throw new ConfigurationError(`Unknown version trust ${JSON.stringify(trust)}`);
  }
  await requireVersion(db, versionId);
  await db.execute("UPDATE global_versions SET trust = $1 WHERE id = $2", [trust, versionId]);
}

/**
 * Gives a version the module list (and hash) the live environment reports, e.g. an imported version
 * whose Python source dropped module lines. Refused when another version already has that module set.
 */
export async function rekeyVersion(
  db: PgConnection,
  versionId: number,
  info: EnvironmentVersionInfo,
): Promise<GlobalVersionRecord> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('d365fo-client:create-version'))");
    const version = await requireVersion(tx, versionId);
    if (version.modulesHash === info.modulesHash) return version;
    const other = await findVersionByModulesHash(tx, info.modulesHash);
    if (other) {
      throw new CacheError(
        `Cannot re-key version ${version.versionHash}: version ${other.versionHash} already has that module set`,
      );
    }
    const versionHash = await uniqueVersionHash(tx, info);
    await tx.execute(
      `UPDATE global_versions SET modules_hash = $1, version_hash = $2, module_count = $3,
         application_version = COALESCE($4, application_version),
         application_build_version = COALESCE($5, application_build_version),
         platform_version = COALESCE($6, platform_version)
       WHERE id = $7`,
      [
        info.modulesHash,
        versionHash,
        info.modules.length,
        info.applicationVersion,
        info.applicationBuildVersion,
        info.platformVersion,
        versionId,
      ],
    );
    await tx.execute("DELETE FROM global_version_modules WHERE global_version_id = $1", [versionId]);
    await insertModules(tx, versionId, info.modules);
    return requireVersion(tx, versionId);
  });
}

export async function getVersionModules(db: Queryable, versionId: number): Promise<ModuleVersionInfo[]> {
  const rows = await db.query<{
    module_id: string;
    module_name: string | null;
    version: string | null;
    publisher: string | null;
    display_name: string | null;
  }>(
    `SELECT module_id, module_name, version, publisher, display_name FROM global_version_modules
     WHERE global_version_id = $1 ORDER BY sort_order`,
    [versionId],
  );
  return rows.map(
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

async function detach(tx: Queryable, environmentId: number, versionId: number): Promise<void> {
  const changed = await tx.execute(
    "UPDATE environment_versions SET is_active = false WHERE environment_id = $1 AND global_version_id = $2 AND is_active",
    [environmentId, versionId],
  );
  if (changed > 0) {
    await tx.execute(
      "UPDATE global_versions SET reference_count = GREATEST(reference_count - 1, 0), last_used_at = now() WHERE id = $1",
      [versionId],
    );
  }
}

export async function linkEnvironment(
  db: PgConnection,
  environmentId: number,
  versionId: number,
): Promise<{ changed: boolean; previousVersionId: number | null }> {
  return db.transaction(async (tx) => {
    // The environment row lock serialises every link change of one environment across machines.
    const environment = await requireEnvironment(tx, environmentId, true);
    const version = await requireVersion(tx, versionId);
    if (version.status !== "complete") {
      throw new ConfigurationError(
        `Global version ${version.versionHash} is not complete; only a complete version can serve an environment`,
      );
    }
    const previous = environment.versionId;
    if (previous === versionId) {
      await tx.execute("UPDATE global_versions SET last_used_at = now() WHERE id = $1", [versionId]);
      return { changed: false, previousVersionId: previous };
    }
    if (previous !== null) await detach(tx, environmentId, previous);
    await tx.execute(
      `INSERT INTO environment_versions (environment_id, global_version_id, detected_at, is_active, sync_status)
       VALUES ($1, $2, now(), true, 'completed')
       ON CONFLICT (environment_id, global_version_id) DO UPDATE SET is_active = true, detected_at = excluded.detected_at`,
      [environmentId, versionId],
    );
    await tx.execute(
      "UPDATE global_versions SET reference_count = reference_count + 1, last_used_at = now() WHERE id = $1",
      [versionId],
    );
    return { changed: true, previousVersionId: previous };
  });
}

export async function unlinkEnvironment(db: PgConnection, environmentId: number): Promise<void> {
  await db.transaction(async (tx) => {
    const environment = await requireEnvironment(tx, environmentId, true);
    if (environment.versionId !== null) await detach(tx, environmentId, environment.versionId);
  });
}

export async function completeVersion(db: PgConnection, versionId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    const counts = await getCountsIn(tx, versionId);
    await tx.execute(
      `UPDATE metadata_versions SET sync_completed_at = now(), entity_count = $1, data_entity_count = $2,
         property_count = $3, action_count = $4, enumeration_count = $5, label_count = $6
       WHERE global_version_id = $7`,
      [
        counts.publicEntities,
        counts.dataEntities,
        counts.properties,
        counts.actions,
        counts.enumerations,
        counts.labels,
        versionId,
      ],
    );
    await tx.execute(
      `UPDATE global_versions SET status = 'complete', completed_at = COALESCE(completed_at, now()), last_used_at = now()
       WHERE id = $1`,
      [versionId],
    );
  });
  // A sync has just written tens of thousands of label rows: until autovacuum's analyze comes
  // round, the planner reads some label lookups with sequential scans (entity views took 200 ms at
  // p99 right after a `large` sync; 5 ms with these two tables analysed). Analysing the definition
  // tables as well made search plans slower (p50 4 -> 15 ms), so only these. Outside the transaction.
  await db.execute(`ANALYZE ${ANALYZED_AFTER_COMPLETE.join(", ")}`);
}

/** The tables analysed when a version is completed (see `completeVersion`). */
const ANALYZED_AFTER_COMPLETE = ["labels_cache", "version_labels"];
