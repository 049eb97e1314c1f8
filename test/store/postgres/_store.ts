/** Opening the PostgreSQL adapter on a fresh database of the run's test server. */

import type { MetadataStore, StoreInspection } from "../../../packages/client/src/store/types.js";
import { openPostgresStore } from "../../../packages/postgres/src/index.js";
import { createTestDatabase, type TestDatabase } from "../../_support/postgres-database.js";

export type PostgresTestStore = MetadataStore & StoreInspection;

export interface PostgresFixture {
  database: TestDatabase;
  open(options?: { poolSize?: number; schema?: string }): Promise<PostgresTestStore>;
  /** Closes every store opened through `open` and drops the database. */
  dispose(): Promise<void>;
}

export async function postgresFixture(prefix = "d365fo_store"): Promise<PostgresFixture> {
  const database = await createTestDatabase(prefix);
  const opened: PostgresTestStore[] = [];
  return {
    database,
    async open(options = {}) {
      const store = await openPostgresStore({ url: database.url, ...options });
      opened.push(store);
      return store;
    },
    async dispose() {
      for (const store of opened) await store.close();
      await database.drop();
    },
  };
}
