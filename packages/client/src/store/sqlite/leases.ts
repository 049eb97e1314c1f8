/** Sync leases (cross-process, in the database) and the per-version record of completed sync phases. */
import { ConfigurationError } from "../../errors.js";
import type { SyncLease, SyncPhase, VersionSyncState } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { requireVersion } from "./environments.js";

const SYNC_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations", "labels"];

export function tryAcquireSyncLease(
  c: SqliteConnection,
  versionId: number,
  owner: string,
  ttlMs: number,
): boolean {
  return c.write(() => {
    requireVersion(c, versionId);
    const now = Date.now();
    const lease = c.get<{ owner: string; expires_at: number }>(
      "SELECT owner, expires_at FROM sync_leases WHERE global_version_id = ?",
      versionId,
    );
    if (lease && lease.owner !== owner && lease.expires_at > now) return false;
    c.run(
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

export function renewSyncLease(
  c: SqliteConnection,
  versionId: number,
  owner: string,
  ttlMs: number,
): boolean {
  return c.write(() => {
    const now = Date.now();
    // Only the holder renews, and only while its lease has not expired (else another may have taken it).
    return (
      c.run(
        "UPDATE sync_leases SET expires_at = ? WHERE global_version_id = ? AND owner = ? AND expires_at > ?",
        now + ttlMs,
        versionId,
        owner,
        now,
      ) > 0
    );
  });
}

export function releaseSyncLease(c: SqliteConnection, versionId: number, owner: string): void {
  c.write(() => {
    c.run("DELETE FROM sync_leases WHERE global_version_id = ? AND owner = ?", versionId, owner);
  });
}

export function getSyncLease(c: SqliteConnection, versionId: number): SyncLease | undefined {
  const row = c.get<{ owner: string; expires_at: number }>(
    "SELECT owner, expires_at FROM sync_leases WHERE global_version_id = ? AND expires_at > ?",
    versionId,
    Date.now(),
  );
  return row && { versionId, owner: row.owner, expiresAt: new Date(row.expires_at) };
}

export function getSyncState(c: SqliteConnection, versionId: number): VersionSyncState {
  const phases = new Set(
    c
      .all<{ phase: string }>("SELECT phase FROM sync_phases WHERE global_version_id = ?", versionId)
      .map((r) => r.phase),
  );
  const count = (table: string) =>
    (c.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE global_version_id = ?`, versionId)?.n ??
      0) as number;
  const labelCounts: Record<string, number> = {};
  for (const r of c.all<{ language: string; n: number }>(
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

function assertPhase(phase: SyncPhase): void {
  if (!SYNC_PHASES.includes(phase)) throw new ConfigurationError(`Unknown sync phase ${String(phase)}`);
}

export function markPhaseComplete(c: SqliteConnection, versionId: number, phase: SyncPhase): void {
  assertPhase(phase);
  c.write(() => {
    requireVersion(c, versionId);
    c.run(
      `INSERT INTO sync_phases (global_version_id, phase, completed_at) VALUES (?, ?, ?)
       ON CONFLICT(global_version_id, phase) DO NOTHING`,
      versionId,
      phase,
      Date.now(),
    );
  });
}

export function resetPhase(c: SqliteConnection, versionId: number, phase: SyncPhase): void {
  assertPhase(phase);
  const membership: Record<SyncPhase, string> = {
    dataEntities: "version_data_entities",
    publicEntities: "version_public_entities",
    enumerations: "version_enumerations",
    labels: "version_labels",
  };
  c.writeContent(() => {
    requireVersion(c, versionId);
    c.run("DELETE FROM sync_phases WHERE global_version_id = ? AND phase = ?", versionId, phase);
    c.run(`DELETE FROM ${membership[phase]} WHERE global_version_id = ?`, versionId);
  });
}
