/** The embedded SQLite backend of the metadata store. */
import { SqliteMetadataStore, type SqliteMetadataStoreOptions } from "./store.js";

export { removeSqliteStoreFiles } from "./connection.js";
export { probeSqliteFts5 } from "./integrity.js";
export { SqliteMetadataStore, type SqliteMetadataStoreOptions } from "./store.js";

/** Opens (creating and migrating as needed) the SQLite store file at `path`. */
export async function openSqliteStore(
  path: string,
  options: SqliteMetadataStoreOptions = {},
): Promise<SqliteMetadataStore> {
  return new SqliteMetadataStore(path, options);
}
