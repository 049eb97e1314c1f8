/**
 * Cleanup: versions no environment serves, with no live lease and unused since the cutoff, then
 * every definition, child row, label text and search row no remaining version uses. Holds the
 * metadata lock exclusively (writes hold it shared), so a definition a concurrent sync has just
 * found and is about to reference is never collected under it. A dry run is the same transaction
 * rolled back: it reports exactly what a real run would delete.
 */

import type { Logger } from "d365fo-client";
import { ConfigurationError } from "d365fo-client";
import type { CleanupResult } from "d365fo-client/backend";
import { lockMetadata, type PgConnection, type Queryable } from "./connection.js";
import { SEARCH_KIND_CODES as K, MEMBER_SEARCH_TABLE, SEARCH_TABLE } from "./schema.js";

/** Deletes the orphans of one definition table with their member rows and search rows; returns how many. */
async function deleteOrphans(
  tx: Queryable,
  table: string,
  membership: { table: string; column: string },
  searchKinds: { definitions: number[]; members: number[] },
  children: readonly { table: string; column: string }[] = [],
): Promise<number> {
  const [{ n }] = await tx.query<{ n: number }>(
    `WITH orphans AS (
       DELETE FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM ${membership.table} m WHERE m.${membership.column} = t.id)
       RETURNING t.id),
     definitions AS (
       DELETE FROM ${SEARCH_TABLE} s USING orphans o WHERE s.owner_id = o.id AND s.kind = ANY($1::int2[])),
     members AS (
       DELETE FROM ${MEMBER_SEARCH_TABLE} s USING orphans o WHERE s.owner_id = o.id AND s.kind = ANY($2::int2[]))
     ${children.map((c, i) => `, child${i} AS (DELETE FROM ${c.table} c USING orphans o WHERE c.${c.column} = o.id)`).join("\n")}
     SELECT count(*)::int AS n FROM orphans`,
    [searchKinds.definitions, searchKinds.members],
  );
  return n;
}

export async function cleanupVersions(
  db: PgConnection,
  logger: Logger,
  options: { olderThan: Date; dryRun: boolean },
): Promise<CleanupResult> {
  const cutoff = options.olderThan instanceof Date ? options.olderThan.getTime() : Number.NaN;
  if (!Number.isFinite(cutoff)) throw new ConfigurationError("cleanupVersions needs a valid olderThan date");
  const result = await db.transaction(
    async (tx) => {
      await lockMetadata(tx, "exclusive");
      const versions = await tx.query<{ id: number }>(
        `DELETE FROM global_versions WHERE id IN (
           SELECT g.id FROM global_versions g
           WHERE g.last_used_at < $1
             AND NOT EXISTS (SELECT 1 FROM environment_versions ev WHERE ev.global_version_id = g.id AND ev.is_active)
             AND NOT EXISTS (SELECT 1 FROM sync_leases l WHERE l.global_version_id = g.id AND l.expires_at > clock_timestamp()))
         RETURNING id`,
        [new Date(cutoff)],
      );
      const ids = versions.map((v) => v.id);
      // Membership has no foreign key to cascade from (schema.ts): deleted here, in the same transaction.
      for (const table of [
        "version_data_entities",
        "version_public_entities",
        "version_enumerations",
        "version_labels",
      ]) {
        await tx.execute(`DELETE FROM ${table} WHERE global_version_id = ANY($1::int[])`, [ids]);
      }
      let definitionsDeleted = 0;
      definitionsDeleted += await deleteOrphans(
        tx,
        "public_entities",
        { table: "version_public_entities", column: "public_entity_id" },
        { definitions: [K.publicEntity], members: [K.property, K.action] },
        [
          "entity_properties",
          "navigation_properties",
          "relation_constraints",
          "property_groups",
          "property_group_members",
          "entity_actions",
          "action_parameters",
        ].map((table) => ({ table, column: "entity_id" })),
      );
      definitionsDeleted += await deleteOrphans(
        tx,
        "data_entities",
        { table: "version_data_entities", column: "data_entity_id" },
        { definitions: [K.dataEntity], members: [] },
      );
      definitionsDeleted += await deleteOrphans(
        tx,
        "enumerations",
        { table: "version_enumerations", column: "enumeration_id" },
        { definitions: [K.enumeration], members: [K.enumMember] },
        [{ table: "enumeration_members", column: "enumeration_id" }],
      );
      const labelsDeleted = await deleteOrphans(
        tx,
        "labels_cache",
        { table: "version_labels", column: "label_text_id" },
        { definitions: [K.label], members: [] },
      );
      return {
        versionIds: versions.map((v) => v.id).sort((a, b) => a - b),
        definitionsDeleted,
        labelsDeleted,
      };
    },
    { rollback: options.dryRun },
  );
  if (
    !options.dryRun &&
    (result.versionIds.length > 0 || result.definitionsDeleted > 0 || result.labelsDeleted > 0)
  ) {
    logger.info(result, "metadata store cleanup");
  }
  return { ...result, dryRun: options.dryRun };
}
