/**
 * Pure judgement of a Python version before import: is it complete, and can it be trusted?
 * (python-cache-formats.md, defects 4–6.)
 *
 * - Completion is a `metadata_versions` row with `sync_completed_at` plus plausible counts, never
 *   `sync_status` (rewritten to `pending` by any later version check). v1 had no completion
 *   marker: a version row with metadata counts as finished.
 * - Silently incomplete: one 429 during the Python sync leaves a collection empty and the version
 *   still "completed". Such a version is imported as `needsReverification`: it is served, marked,
 *   and the next sync re-verifies it instead of trusting it.
 * - v1 versions are `legacy`: keyed by application/platform versions, never proven against a
 *   module list.
 */
import type { PythonSyncRun, PythonVersion } from "./types.js";

/** How far an imported version is trusted: `imported` is served as is until the first live check confirms its module list. */
export type ImportTrust = "imported" | "needsReverification" | "legacy";

export type VersionVerdict =
  | { kind: "skip"; reason: string }
  | { kind: "import"; trust: ImportTrust; reasons: string[]; warnings: string[]; completedAt: Date | null };

/** Public entities "far below" the OData-enabled data entities: fewer than this share of them. */
export const PUBLIC_ENTITY_SHARE_FLOOR = 0.5;

/** The latest finished run (the one a reader should take when a forced re-sync added several). */
export function latestCompletedRun(runs: readonly PythonSyncRun[]): PythonSyncRun | null {
  let latest: PythonSyncRun | null = null;
  for (const run of runs) {
    if (!run.completedAt) continue;
    if (!latest || (latest.completedAt && run.completedAt >= latest.completedAt)) latest = run;
  }
  return latest;
}

function isRound(n: number): boolean {
  return n >= 1000 && n % 1000 === 0;
}

export function assessVersion(version: PythonVersion): VersionVerdict {
  const c = version.counts;
  const run = version.layout === "v2" ? latestCompletedRun(version.runs) : null;
  if (version.layout === "v2" && !run) {
    return {
      kind: "skip",
      reason: "its sync never finished (no completed metadata_versions row); the next sync downloads it",
    };
  }
  if (c.dataEntities === 0 && c.publicEntities === 0 && c.enumerations === 0) {
    return { kind: "skip", reason: "it holds no metadata" };
  }
  const reasons: string[] = [];
  if (
    c.expectedPublicEntities > 0 &&
    c.publicEntities < c.expectedPublicEntities * PUBLIC_ENTITY_SHARE_FLOOR
  ) {
    reasons.push(
      `${c.publicEntities} public entities for ${c.expectedPublicEntities} OData-enabled data entities (a throttled /Metadata/PublicEntities during the Python sync)`,
    );
  }
  if (c.enumerations === 0) {
    reasons.push("0 enumerations (a throttled /Metadata/PublicEnumerations during the Python sync)");
  }
  if (c.labels === 0 && c.referencedLabelIds > 0) {
    reasons.push(`0 label texts for ${c.referencedLabelIds} referenced label ids`);
  }
  const warnings: string[] = [];
  // The Python tool never followed paging. A cut collection shows as a round count that the
  // cross-check between data entities and public entities contradicts.
  if (isRound(c.dataEntities) && c.publicEntities > c.expectedPublicEntities) {
    warnings.push(
      `${c.dataEntities} data entities (a round count) but ${c.publicEntities} public entities for ${c.expectedPublicEntities} expected: possibly only the first page of /Metadata/DataEntities`,
    );
  }
  if (isRound(c.publicEntities) && c.publicEntities < c.expectedPublicEntities) {
    warnings.push(
      `${c.publicEntities} public entities (a round count) for ${c.expectedPublicEntities} expected: possibly only the first page of /Metadata/PublicEntities`,
    );
  }
  if (c.missingLabelIds > 0) {
    warnings.push(
      `${c.missingLabelIds} referenced label ids have no text (fetched on demand when asked for)`,
    );
  }
  const trust: ImportTrust =
    version.layout === "v1" ? "legacy" : reasons.length > 0 ? "needsReverification" : "imported";
  return { kind: "import", trust, reasons, warnings, completedAt: run?.completedAt ?? version.firstSeenAt };
}
