/**
 * Consistency of everything stored. PostgreSQL enforces foreign keys and uniqueness itself and has
 * no whole-database check like SQLite's `integrity_check`; what remains is what the adapter keeps
 * consistent: reference counts, one search row per definition, member and label text, stored
 * child counts, member rows without a definition (they carry no foreign key), label links that
 * match their text's id and language, and indexes the server reports valid.
 */
import type { IntegrityReport } from "d365fo-client/backend";
import type { Queryable } from "./connection.js";
import { MEMBER_SEARCH_TABLE, SEARCH_TABLE } from "./schema.js";

/** Rows without a foreign key to what they belong to (see schema.ts): none may outlive it. */
const ORPHANED_CHILDREN: readonly [string, string, string][] = [
  ["entity_properties", "entity_id", "public_entities"],
  ["navigation_properties", "entity_id", "public_entities"],
  ["relation_constraints", "entity_id", "public_entities"],
  ["property_groups", "entity_id", "public_entities"],
  ["property_group_members", "entity_id", "public_entities"],
  ["entity_actions", "entity_id", "public_entities"],
  ["action_parameters", "entity_id", "public_entities"],
  ["enumeration_members", "enumeration_id", "enumerations"],
  ["version_labels", "label_text_id", "labels_cache"],
  ["version_labels", "global_version_id", "global_versions"],
  ["version_data_entities", "data_entity_id", "data_entities"],
  ["version_data_entities", "global_version_id", "global_versions"],
  ["version_public_entities", "public_entity_id", "public_entities"],
  ["version_public_entities", "global_version_id", "global_versions"],
  ["version_enumerations", "enumeration_id", "enumerations"],
  ["version_enumerations", "global_version_id", "global_versions"],
];

const CHECKS: readonly [string, string][] = [
  [
    "reference counts",
    `SELECT format('global version %s: reference_count %s but %s linked environments', g.id, g.reference_count, l.n) AS message
     FROM global_versions g
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM environment_versions ev WHERE ev.global_version_id = g.id AND ev.is_active) l
     WHERE g.reference_count <> l.n`,
  ],
  [
    "search index",
    `SELECT format('search index ${SEARCH_TABLE} has %s rows for %s items', i.n, d.n) AS message
     FROM (SELECT count(*) AS n FROM ${SEARCH_TABLE}) i,
          (SELECT (SELECT count(*) FROM data_entities) + (SELECT count(*) FROM public_entities)
                + (SELECT count(*) FROM enumerations) + (SELECT count(*) FROM labels_cache) AS n) d
     WHERE i.n <> d.n
     UNION ALL
     SELECT format('search index ${MEMBER_SEARCH_TABLE} has %s rows for %s items', i.n, d.n)
     FROM (SELECT count(*) AS n FROM ${MEMBER_SEARCH_TABLE}) i,
          (SELECT (SELECT count(*) FROM entity_properties) + (SELECT count(*) FROM entity_actions)
                + (SELECT count(*) FROM enumeration_members) AS n) d
     WHERE i.n <> d.n`,
  ],
  [
    "child counts",
    `SELECT format('public entity %s (%s): stored counts %s/%s/%s but %s/%s/%s rows', p.id, p.name,
        p.property_count, p.navigation_count, p.action_count, pr.n, nv.n, ac.n) AS message
     FROM public_entities p
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM entity_properties WHERE entity_id = p.id) pr
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM navigation_properties WHERE entity_id = p.id) nv
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM entity_actions WHERE entity_id = p.id) ac
     WHERE p.property_count <> pr.n OR p.navigation_count <> nv.n OR p.action_count <> ac.n
     UNION ALL
     SELECT format('enumeration %s (%s): member_count %s but %s rows', e.id, e.name, e.member_count, m.n)
     FROM enumerations e CROSS JOIN LATERAL (SELECT count(*) AS n FROM enumeration_members WHERE enumeration_id = e.id) m
     WHERE e.member_count <> m.n`,
  ],
  [
    "label texts",
    `SELECT format('global version %s: label %s (%s) links a text of label %s (%s)', vl.global_version_id,
        vl.label_key, vl.language, lt.label_key, lt.language)
     FROM version_labels vl JOIN labels_cache lt ON lt.id = vl.label_text_id
     WHERE lt.label_key <> vl.label_key OR lt.language <> vl.language
     UNION ALL
     SELECT format('label text %s: key %s is not the lowercased id %s', id, label_key, label_id)
     FROM labels_cache WHERE label_key <> lower(label_id)`,
  ],
  [
    "orphaned members",
    ORPHANED_CHILDREN.map(
      ([table, column, parent]) =>
        `SELECT format('${table}: %s rows whose ${column} is missing from ${parent}', count(*)) FROM ${table} c
         WHERE NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.id = c.${column}) HAVING count(*) > 0`,
    ).join("\nUNION ALL\n"),
  ],
  [
    "versions",
    `SELECT format('global version %s has no metadata_versions row', g.id) FROM global_versions g
     WHERE NOT EXISTS (SELECT 1 FROM metadata_versions m WHERE m.global_version_id = g.id)
     UNION ALL
     SELECT format('global version %s is complete without a completion time', id) FROM global_versions
     WHERE status = 'complete' AND completed_at IS NULL`,
  ],
  [
    "indexes",
    `SELECT format('index %s is not valid', c.relname) FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)`,
  ],
];

export async function checkIntegrity(db: Queryable): Promise<IntegrityReport> {
  const messages: string[] = [];
  for (const [, sql] of CHECKS) {
    for (const row of await db.query<{ message: string }>(sql))
      messages.push(Object.values(row)[0] as string);
  }
  return { ok: messages.length === 0, messages };
}
