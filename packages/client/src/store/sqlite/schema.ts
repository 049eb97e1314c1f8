/**
 * The SQLite schema as an ordered list of forward migrations; `PRAGMA user_version` records how
 * many have been applied. Tables follow the specification's "Enhanced Database Schema" with its
 * known mistakes fixed, and one structural change: metadata definitions are content-addressed and
 * shared across versions. `public_entities`, `data_entities`, `enumerations` and `labels_cache`
 * hold one row per distinct content (`content_hash` / `(label_id, language, label_text)`), their
 * child tables hang off the definition, and `version_*` membership tables say which definitions a
 * global version contains. Timestamps are integer milliseconds since the epoch.
 */
export interface Migration {
  version: number;
  description: string;
  up: string;
}

const CORE = `
CREATE TABLE metadata_environments (
  id INTEGER PRIMARY KEY,
  base_url TEXT NOT NULL UNIQUE,
  environment_name TEXT,
  created_at INTEGER NOT NULL,
  last_sync_at INTEGER,
  last_version_check INTEGER,
  last_sync_duration_ms INTEGER,
  is_active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE global_versions (
  id INTEGER PRIMARY KEY,
  version_hash TEXT NOT NULL UNIQUE,
  modules_hash TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'complete')),
  first_seen_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  completed_at INTEGER,
  reference_count INTEGER NOT NULL DEFAULT 0 CHECK (reference_count >= 0),
  metadata_size_bytes INTEGER NOT NULL DEFAULT 0,
  module_count INTEGER NOT NULL DEFAULT 0,
  application_version TEXT,
  application_build_version TEXT,
  platform_version TEXT,
  created_by_environment_id INTEGER REFERENCES metadata_environments(id) ON DELETE SET NULL
);
CREATE INDEX idx_global_versions_last_used ON global_versions(last_used_at);

-- History of the versions an environment ran; the row with is_active = 1 is its serving version.
CREATE TABLE environment_versions (
  environment_id INTEGER NOT NULL REFERENCES metadata_environments(id) ON DELETE CASCADE,
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  detected_at INTEGER NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1,
  sync_status TEXT NOT NULL DEFAULT 'completed',
  last_sync_duration_ms INTEGER,
  PRIMARY KEY (environment_id, global_version_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX idx_env_versions_one_active ON environment_versions(environment_id) WHERE is_active = 1;
CREATE INDEX idx_env_versions_global ON environment_versions(global_version_id, is_active);

-- Every module of the version (the specification kept only ten).
CREATE TABLE global_version_modules (
  id INTEGER PRIMARY KEY,
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  module_id TEXT NOT NULL,
  module_name TEXT,
  version TEXT,
  publisher TEXT,
  display_name TEXT,
  sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_global_version_modules_version ON global_version_modules(global_version_id, sort_order);

CREATE TABLE metadata_versions (
  id INTEGER PRIMARY KEY,
  global_version_id INTEGER NOT NULL UNIQUE REFERENCES global_versions(id) ON DELETE CASCADE,
  application_version TEXT,
  platform_version TEXT,
  created_at INTEGER NOT NULL,
  sync_completed_at INTEGER,
  entity_count INTEGER NOT NULL DEFAULT 0,
  data_entity_count INTEGER NOT NULL DEFAULT 0,
  property_count INTEGER NOT NULL DEFAULT 0,
  action_count INTEGER NOT NULL DEFAULT 0,
  enumeration_count INTEGER NOT NULL DEFAULT 0,
  label_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_leases (
  global_version_id INTEGER PRIMARY KEY REFERENCES global_versions(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE sync_phases (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  phase TEXT NOT NULL,
  completed_at INTEGER NOT NULL,
  PRIMARY KEY (global_version_id, phase)
) WITHOUT ROWID;
`;

const DEFINITIONS = `
CREATE TABLE data_entities (
  id INTEGER PRIMARY KEY,
  content_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  public_entity_name TEXT,
  public_collection_name TEXT,
  label_id TEXT,
  entity_category TEXT,
  data_service_enabled INTEGER NOT NULL,
  data_management_enabled INTEGER NOT NULL,
  is_read_only INTEGER NOT NULL
);
CREATE INDEX idx_data_entities_label ON data_entities(label_id);
CREATE INDEX idx_data_entities_public_name ON data_entities(public_entity_name);

CREATE TABLE version_data_entities (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  data_entity_id INTEGER NOT NULL REFERENCES data_entities(id),
  PRIMARY KEY (global_version_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_version_data_entities_def ON version_data_entities(data_entity_id, global_version_id);

CREATE TABLE public_entities (
  id INTEGER PRIMARY KEY,
  content_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  entity_set_name TEXT NOT NULL,
  label_id TEXT,
  is_read_only INTEGER NOT NULL,
  configuration_enabled INTEGER NOT NULL,
  property_count INTEGER NOT NULL DEFAULT 0,
  navigation_count INTEGER NOT NULL DEFAULT 0,
  action_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_public_entities_set_name ON public_entities(entity_set_name);
CREATE INDEX idx_public_entities_label ON public_entities(label_id);

CREATE TABLE version_public_entities (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  public_entity_id INTEGER NOT NULL REFERENCES public_entities(id),
  PRIMARY KEY (global_version_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_version_public_entities_def ON version_public_entities(public_entity_id, global_version_id);

CREATE TABLE entity_properties (
  id INTEGER PRIMARY KEY,
  entity_id INTEGER NOT NULL REFERENCES public_entities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type_name TEXT NOT NULL,
  data_type TEXT NOT NULL,
  label_id TEXT,
  is_key INTEGER NOT NULL,
  is_mandatory INTEGER NOT NULL,
  configuration_enabled INTEGER NOT NULL,
  allow_edit INTEGER NOT NULL,
  allow_edit_on_create INTEGER NOT NULL,
  is_dimension INTEGER NOT NULL,
  dimension_relation TEXT,
  is_dynamic_dimension INTEGER NOT NULL,
  dimension_legal_entity_property TEXT,
  dimension_type_property TEXT,
  property_order INTEGER NOT NULL
);
CREATE INDEX idx_entity_properties_entity ON entity_properties(entity_id, property_order);

CREATE TABLE navigation_properties (
  id INTEGER PRIMARY KEY,
  entity_id INTEGER NOT NULL REFERENCES public_entities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  related_entity TEXT NOT NULL,
  related_relation_name TEXT,
  cardinality TEXT NOT NULL,
  navigation_order INTEGER NOT NULL
);
CREATE INDEX idx_navigation_properties_entity ON navigation_properties(entity_id, navigation_order);

CREATE TABLE relation_constraints (
  id INTEGER PRIMARY KEY,
  navigation_property_id INTEGER NOT NULL REFERENCES navigation_properties(id) ON DELETE CASCADE,
  constraint_type TEXT NOT NULL,
  property_name TEXT,
  referenced_property TEXT,
  related_property TEXT,
  fixed_value INTEGER,
  fixed_value_str TEXT,
  constraint_order INTEGER NOT NULL
);
CREATE INDEX idx_relation_constraints_navigation ON relation_constraints(navigation_property_id, constraint_order);

CREATE TABLE property_groups (
  id INTEGER PRIMARY KEY,
  entity_id INTEGER NOT NULL REFERENCES public_entities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  group_order INTEGER NOT NULL
);
CREATE INDEX idx_property_groups_entity ON property_groups(entity_id, group_order);

CREATE TABLE property_group_members (
  id INTEGER PRIMARY KEY,
  property_group_id INTEGER NOT NULL REFERENCES property_groups(id) ON DELETE CASCADE,
  property_name TEXT NOT NULL,
  member_order INTEGER NOT NULL
);
CREATE INDEX idx_property_group_members_group ON property_group_members(property_group_id, member_order);

CREATE TABLE entity_actions (
  id INTEGER PRIMARY KEY,
  entity_id INTEGER NOT NULL REFERENCES public_entities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  binding_kind TEXT NOT NULL,
  field_lookup TEXT,
  return_type_name TEXT,
  return_is_collection INTEGER,
  action_order INTEGER NOT NULL
);
CREATE INDEX idx_entity_actions_entity ON entity_actions(entity_id, action_order);

CREATE TABLE action_parameters (
  id INTEGER PRIMARY KEY,
  action_id INTEGER NOT NULL REFERENCES entity_actions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type_name TEXT NOT NULL,
  is_collection INTEGER NOT NULL,
  parameter_order INTEGER NOT NULL
);
CREATE INDEX idx_action_parameters_action ON action_parameters(action_id, parameter_order);

CREATE TABLE enumerations (
  id INTEGER PRIMARY KEY,
  content_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  label_id TEXT,
  member_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_enumerations_label ON enumerations(label_id);

CREATE TABLE version_enumerations (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  enumeration_id INTEGER NOT NULL REFERENCES enumerations(id),
  PRIMARY KEY (global_version_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_version_enumerations_def ON version_enumerations(enumeration_id, global_version_id);

CREATE TABLE enumeration_members (
  id INTEGER PRIMARY KEY,
  enumeration_id INTEGER NOT NULL REFERENCES enumerations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  label_id TEXT,
  configuration_enabled INTEGER NOT NULL,
  member_order INTEGER NOT NULL
);
CREATE INDEX idx_enumeration_members_enumeration ON enumeration_members(enumeration_id, member_order);

-- One row per distinct label text; versions reference the texts they contain.
CREATE TABLE labels_cache (
  id INTEGER PRIMARY KEY,
  label_id TEXT NOT NULL,
  language TEXT NOT NULL,
  label_text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (label_id, language, label_text)
);

CREATE TABLE version_labels (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  label_text_id INTEGER NOT NULL REFERENCES labels_cache(id),
  PRIMARY KEY (global_version_id, label_text_id)
) WITHOUT ROWID;
CREATE INDEX idx_version_labels_text ON version_labels(label_text_id);
`;

/**
 * Full-text indexes over definitions and label texts, each indexed once. Contentless (the texts
 * live in their tables); the rowid encodes what a row is (see `searchRowId`). Two tables with the
 * same layout: `metadata_search_v2` for definitions and label texts (data entities, public
 * entities, enumerations, labels) and `metadata_search_members` for their members (properties,
 * actions, enumeration members), so an entity search never reads the ~30× more member rows.
 * Columns: `name` (the identifier), `collection` (entity set / public collection name), `words`
 * (both split into words), `text` (label text). `_` is a token character so an identifier is one
 * token in `name`.
 */
const searchIndex = (table: string) => `
CREATE VIRTUAL TABLE ${table} USING fts5(
  name,
  collection,
  words,
  text,
  content = '',
  contentless_delete = 1,
  tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
);
`;

/**
 * Label texts fetched at read time for a (possibly complete, shared) version: kept apart from
 * `version_labels` so they are not part of the version's content hash, counts or search index.
 * Label ids are case-insensitive in D365 (`@SYS7149` = `@sys7149`): NOCASE on the id, and an
 * index that lets `labels_cache` be looked up the same way.
 */
const FETCHED_LABELS = `
CREATE TABLE fetched_labels (
  global_version_id INTEGER NOT NULL REFERENCES global_versions(id) ON DELETE CASCADE,
  language TEXT NOT NULL,
  label_id TEXT NOT NULL COLLATE NOCASE,
  label_text TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (global_version_id, language, label_id)
) WITHOUT ROWID;
CREATE INDEX idx_labels_cache_id_nocase ON labels_cache(label_id COLLATE NOCASE, language);
`;

export const SEARCH_TABLE = "metadata_search_v2";
export const MEMBER_SEARCH_TABLE = "metadata_search_members";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "environments, global versions, shared definitions, labels",
    up: CORE + DEFINITIONS,
  },
  {
    version: 2,
    description: "full-text search index over definitions and label texts",
    up: searchIndex(SEARCH_TABLE),
  },
  {
    version: 3,
    description: "members (properties, actions, enumeration members) in their own search index; rebuilt",
    up: `DROP TABLE IF EXISTS ${SEARCH_TABLE};\n${searchIndex(SEARCH_TABLE)}\n${searchIndex(MEMBER_SEARCH_TABLE)}`,
  },
  {
    version: 4,
    description:
      "label texts fetched on demand (outside version content); case-insensitive label ids; search index rebuilt with the one identifier splitter",
    up: `${FETCHED_LABELS}\nDROP TABLE IF EXISTS ${SEARCH_TABLE};\nDROP TABLE IF EXISTS ${MEMBER_SEARCH_TABLE};\n${searchIndex(SEARCH_TABLE)}\n${searchIndex(MEMBER_SEARCH_TABLE)}`,
  },
  {
    version: 5,
    description: "each public entity also as one packed canonical document (read in one row); back-filled",
    up: "ALTER TABLE public_entities ADD COLUMN document BLOB;",
  },
  {
    version: 6,
    description: "version trust (imported Python caches: imported, needsReverification, legacy)",
    up: `ALTER TABLE global_versions ADD COLUMN trust TEXT NOT NULL DEFAULT 'verified'
           CHECK (trust IN ('verified', 'imported', 'needsReverification', 'legacy'));`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Tables of the specification's schema (plus this store's membership and coordination tables). */
export const EXPECTED_TABLES = [
  "metadata_environments",
  "global_versions",
  "environment_versions",
  "global_version_modules",
  "metadata_versions",
  "data_entities",
  "public_entities",
  "entity_properties",
  "navigation_properties",
  "relation_constraints",
  "property_groups",
  "property_group_members",
  "entity_actions",
  "action_parameters",
  "enumerations",
  "enumeration_members",
  "labels_cache",
  "metadata_search_v2",
  "metadata_search_members",
  "version_data_entities",
  "version_public_entities",
  "version_enumerations",
  "version_labels",
  "sync_leases",
  "sync_phases",
  "fetched_labels",
] as const;
