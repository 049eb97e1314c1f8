/** A fresh database per test file on the run's PostgreSQL server (see postgres-server.ts). */
import { inject } from "vitest";
import { createDatabase } from "./postgres.js";

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function postgresAdminUrl(): string {
  const url = inject("postgresAdminUrl");
  if (!url) throw new Error("No PostgreSQL test server: vitest.config.ts globalSetup must start it");
  return url;
}

/** Creates an empty database; call `drop()` in afterAll. */
export function createTestDatabase(prefix = "d365fo_test"): Promise<TestDatabase> {
  return createDatabase(postgresAdminUrl(), prefix);
}
