/**
 * Sync leases and phases. A lease is one row per version; taking, renewing and reading it are
 * single statements judged by the database server's clock (`clock_timestamp()`), never the
 * client's: the machines of a team disagree about the time, the server does not.
 */
import { ConfigurationError } from "d365fo-client";
import type { SyncLease, SyncPhase, VersionSyncState } from "d365fo-client/backend";
import type { PgConnection, Queryable } from "./connection.js";
import { unknownReference } from "./errors.js";
import { beginMetadataWrite } from "./writes.js";

export const SYNC_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations", "labels"];

const ttlOf = (ttlMs: number): number => {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new ConfigurationError("A sync lease needs a positive TTL");
  return Math.round(ttlMs);
};

export async function tryAcquireSyncLease(
  db: PgConnection,
  versionId: number,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const ttl = ttlOf(ttlMs);
  try {
    // Free, expired or already the caller's: taken in one atomic upsert.
    const changed = await db.execute(
      `INSERT INTO sync_leases (global_version_id, owner, acquired_at, expires_at)
       VALUES ($1, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (global_version_id) DO UPDATE
         SET owner = excluded.owner, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
         WHERE sync_leases.owner = excluded.owner OR sync_leases.expires_at <= clock_timestamp()`,
      [versionId, owner, ttl],
    );
    return changed > 0;
  } catch (error) {
    throw (
      unknownReference((error as { cause?: unknown }).cause, `Unknown global version id ${versionId}`) ??
      error
    );
  }
}

export async function renewSyncLease(
  db: PgConnection,
  versionId: number,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const ttl = ttlOf(ttlMs);
  // Only the holder renews, and only while its lease has not expired (else another may have taken it).
  const changed = await db.execute(
    `UPDATE sync_leases SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
     WHERE global_version_id = $1 AND owner = $2 AND expires_at > clock_timestamp()`,
    [versionId, owner, ttl],
  );
  return changed > 0;
}

export async function releaseSyncLease(db: PgConnection, versionId: number, owner: string): Promise<void> {
  await db.execute("DELETE FROM sync_leases WHERE global_version_id = $1 AND owner = $2", [versionId, owner]);
}

export async function getSyncLease(db: Queryable, versionId: number): Promise<SyncLease | undefined> {
  const [row] = await db.query<{ owner: string; expires_at: Date }>(
    "SELECT owner, expires_at FROM sync_leases WHERE global_version_id = $1 AND expires_at > clock_timestamp()",
    [versionId],
  );
  return row && { versionId, owner: row.owner, expiresAt: row.expires_at };
}

export async function getSyncState(db: Queryable, versionId: number): Promise<VersionSyncState> {
  const [row] = await db.query<{
    phases: string[] | null;
    public_entities: number;
    data_entities: number;
    enumerations: number;
    labels: Record<string, number> | null;
  }>(
    `SELECT
       (SELECT array_agg(phase) FROM sync_phases WHERE global_version_id = $1) AS phases,
       (SELECT count(*)::int FROM version_public_entities WHERE global_version_id = $1) AS public_entities,
       (SELECT count(*)::int FROM version_data_entities WHERE global_version_id = $1) AS data_entities,
       (SELECT count(*)::int FROM version_enumerations WHERE global_version_id = $1) AS enumerations,
       (SELECT json_object_agg(language, n) FROM (
          SELECT language, count(*)::int AS n FROM version_labels WHERE global_version_id = $1 GROUP BY language) l
       ) AS labels`,
    [versionId],
  );
  const phases = new Set(row.phases ?? []);
  return {
    versionId,
    completedPhases: SYNC_PHASES.filter((p) => phases.has(p)),
    publicEntityCount: row.public_entities,
    dataEntityCount: row.data_entities,
    enumerationCount: row.enumerations,
    labelCounts: row.labels ?? {},
  };
}

export function assertPhase(phase: SyncPhase): void {
  if (!SYNC_PHASES.includes(phase)) throw new ConfigurationError(`Unknown sync phase ${String(phase)}`);
}

export async function markPhaseComplete(
  db: PgConnection,
  versionId: number,
  phase: SyncPhase,
): Promise<void> {
  assertPhase(phase);
  try {
    await db.execute(
      `INSERT INTO sync_phases (global_version_id, phase, completed_at) VALUES ($1, $2, now())
       ON CONFLICT (global_version_id, phase) DO NOTHING`,
      [versionId, phase],
    );
  } catch (error) {
    throw (
      unknownReference((error as { cause?: unknown }).cause, `Unknown global version id ${versionId}`) ??
      error
    );
  }
}

const PHASE_MEMBERSHIP: Record<SyncPhase, string> = {
  dataEntities: "version_data_entities",
  publicEntities: "version_public_entities",
  enumerations: "version_enumerations",
  labels: "version_labels",
};

export async function resetPhase(db: PgConnection, versionId: number, phase: SyncPhase): Promise<void> {
  assertPhase(phase);
  await db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    await tx.execute("DELETE FROM sync_phases WHERE global_version_id = $1 AND phase = $2", [
      versionId,
      phase,
    ]);
    await tx.execute(`DELETE FROM ${PHASE_MEMBERSHIP[phase]} WHERE global_version_id = $1`, [versionId]);
  });
}
