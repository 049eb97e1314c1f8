/**
 * Deleting unused versions and every definition, member and label text no remaining version
 * uses, with their search-index rows. A dry run performs the deletion and rolls it back.
 */
import { ConfigurationError } from "../../errors.js";
import type { CleanupResult } from "../types.js";
import { DryRunRollback, type SqliteConnection } from "./connection.js";
import { MEMBER_SEARCH_TABLE, SEARCH_TABLE, searchRowIdSql } from "./search-index.js";

export function cleanupVersions(
  c: SqliteConnection,
  options: { olderThan: Date; dryRun: boolean },
): CleanupResult {
  const cutoff = options.olderThan.getTime();
  if (!Number.isFinite(cutoff)) throw new ConfigurationError("cleanupVersions needs a valid olderThan date");
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
      c.write(() => {
        result = { ...deleteVersions(c, candidates, params), dryRun: true };
        throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
    return result;
  }
  return { ...c.writeContent(() => deleteVersions(c, candidates, params)), dryRun: false };
}

function deleteVersions(
  c: SqliteConnection,
  candidatesSql: string,
  params: Record<string, number>,
): Omit<CleanupResult, "dryRun"> {
  const versionIds = c.stmt(`${candidatesSql} ORDER BY g.id`).pluck().all(params) as number[];
  const deleteVersion = c.stmt("DELETE FROM global_versions WHERE id = ?");
  for (const id of versionIds) deleteVersion.run(id);
  // Collect every definition no version references any more (also those orphaned by resetPhase).
  let definitionsDeleted = 0;
  const unindex = (sql: string, table = SEARCH_TABLE) =>
    c.run(`DELETE FROM ${table} WHERE rowid IN (${sql})`);
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
  definitionsDeleted += c.run(`DELETE FROM public_entities WHERE id IN (${orphanPublic})`);
  const orphanData = `SELECT d.id FROM data_entities d WHERE NOT EXISTS
    (SELECT 1 FROM version_data_entities v WHERE v.data_entity_id = d.id)`;
  unindex(
    `SELECT ${searchRowIdSql("d.id", "0", "dataEntity", "d.name")} FROM data_entities d WHERE d.id IN (${orphanData})`,
  );
  definitionsDeleted += c.run(`DELETE FROM data_entities WHERE id IN (${orphanData})`);
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
  definitionsDeleted += c.run(`DELETE FROM enumerations WHERE id IN (${orphanEnums})`);
  const orphanLabels = `SELECT lt.id FROM labels_cache lt WHERE NOT EXISTS
    (SELECT 1 FROM version_labels v WHERE v.label_text_id = lt.id)`;
  unindex(`SELECT ${searchRowIdSql("id", "0", "label")} FROM (${orphanLabels})`);
  const labelsDeleted = c.run(`DELETE FROM labels_cache WHERE id IN (${orphanLabels})`);
  if (versionIds.length > 0 || definitionsDeleted > 0 || labelsDeleted > 0) {
    c.logger.info({ versionIds, definitionsDeleted, labelsDeleted }, "metadata store cleanup");
  }
  return { versionIds, definitionsDeleted, labelsDeleted };
}
