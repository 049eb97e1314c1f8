/**
 * SQLite-only: the cache file on disk. Permissions, WAL, read-only caches (file and directory),
 * symbolic links, loose directory modes, corruption and reset, on real files.
 */
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CacheCorruptError,
  CacheLocationError,
  CacheReadOnlyError,
  openMetadataStore,
  probeStore,
  resetMetadataStore,
  SCHEMA_VERSION,
} from "../../../packages/client/src/store/index.js";
import { EXPECTED_TABLES } from "../../../packages/client/src/store/sqlite/schema.js";
import type { MetadataStore } from "../../../packages/client/src/store/types.js";
import { fullPublicEntity, label, makeTempDir, versionInfo } from "../fixtures.js";

const run = promisify(execFile);
const mode = (path: string) => statSync(path).mode & 0o777;

/** A logger whose JSON lines are kept for assertions. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

/** A cache with one complete version holding a public entity and a label. */
async function seed(cacheDir: string): Promise<number> {
  const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
  const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
  await store.writePublicEntities(version.id, [fullPublicEntity()]);
  await store.writeLabels(version.id, [label("@SYS12345", "Customers V3")]);
  await store.completeVersion(version.id);
  await store.close();
  return version.id;
}

const searchCustomer = (store: MetadataStore, versionId: number) =>
  store.search({
    versionId,
    terms: ["customer"],
    prefixLastTerm: true,
    language: "en-us",
    limit: 10,
    offset: 0,
  });

describe("SQLite cache files", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let cacheDir: string;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    cacheDir = join(temp.dir, "cache");
    file = join(cacheDir, "metadata-v2.db");
  });
  afterEach(() => {
    // Restore write bits so the temporary tree can be removed.
    for (const path of [cacheDir, file]) {
      try {
        chmodSync(path, path === cacheDir ? 0o700 : 0o600);
      } catch {
        // Not there.
      }
    }
    temp.cleanup();
  });

  it("creates every table, WAL mode, owner-only directory and file, current schema", async () => {
    const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
    expect(await store.describe()).toEqual({
      backend: "sqlite",
      location: file,
      readOnly: false,
      schemaVersion: SCHEMA_VERSION,
    });
    await store.close();
    const db = new Database(file, { readonly: true });
    const names = new Set(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    for (const table of EXPECTED_TABLES) expect(names, table).toContain(table);
    expect(mode(cacheDir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
  });

  it("a cache file without write permission opens read-only: reads and search work, writes are refused, no chmod", async () => {
    const versionId = await seed(cacheDir);
    chmodSync(file, 0o400);
    const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
    try {
      expect((await store.describe()).readOnly).toBe(true);
      expect((await store.getPublicEntity(versionId, "CustomerV3"))?.name).toBe("CustomerV3");
      expect(await store.getLabel(versionId, "@sys12345", "en-us")).toBe("Customers V3");
      expect((await searchCustomer(store, versionId)).total).toBeGreaterThan(0);
      expect((await store.checkIntegrity()).ok).toBe(true);
      const refused = await store.ensureEnvironment("https://a.example.com").catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CacheReadOnlyError);
      expect(refused).toMatchObject({ code: "D365_CACHE_READ_ONLY" });
      await expect(store.storeFetchedLabels(versionId, [label("@X", "x")])).rejects.toMatchObject({
        code: "D365_CACHE_READ_ONLY",
      });
      await expect(store.writeLabels(versionId, [label("@X", "x")])).rejects.toBeInstanceOf(
        CacheReadOnlyError,
      );
      const probe = await probeStore(store);
      expect(probe.description.readOnly).toBe(true);
      expect(probe.warnings.join("\n")).toMatch(/read-only/);
    } finally {
      await store.close();
    }
    expect(mode(file)).toBe(0o400);
  });

  it("a read-only cache directory opens read-only and changes nothing; with no file it cannot create one", async () => {
    const versionId = await seed(cacheDir);
    chmodSync(cacheDir, 0o500);
    const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
    try {
      expect((await store.describe()).readOnly).toBe(true);
      expect(await store.listPublicEntityNames(versionId)).toEqual(["CustomerV3"]);
      expect((await searchCustomer(store, versionId)).total).toBeGreaterThan(0);
      await expect(store.recordSync(1, 10)).rejects.toBeInstanceOf(CacheReadOnlyError);
    } finally {
      await store.close();
    }
    expect(mode(cacheDir)).toBe(0o500);
    expect(mode(file)).toBe(0o600);

    const empty = join(temp.dir, "empty");
    mkdirSync(empty, { mode: 0o500 });
    chmodSync(empty, 0o500);
    await expect(openMetadataStore({ cacheDir: empty, cacheUrl: "" })).rejects.toBeInstanceOf(
      CacheReadOnlyError,
    );
    expect(existsSync(join(empty, "metadata-v2.db"))).toBe(false);
    chmodSync(empty, 0o700);
  });

  // Root bypasses directory permissions (SQLite could create its WAL index anyway): run the same
  // check as an unprivileged user, where the WAL index cannot be created and a snapshot is served.
  it.runIf(process.getuid?.() === 0 && existsSync("/usr/bin/setpriv"))(
    "an unprivileged user reads a cache in a directory it cannot write",
    async () => {
      const versionId = await seed(cacheDir);
      expect(versionId).toBeGreaterThan(0);
      chmodSync(temp.dir, 0o755);
      chownSync(cacheDir, 65534, 65534);
      chownSync(file, 65534, 65534);
      chmodSync(cacheDir, 0o500);
      const child = fileURLToPath(new URL("./read-only-child.ts", import.meta.url));
      const { stdout } = await run(
        "/usr/bin/setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          "--conditions=d365fo-source",
          "--import",
          "tsx",
          child,
          cacheDir,
        ],
        { cwd: fileURLToPath(new URL("../../..", import.meta.url)), env: { ...process.env, HOME: temp.dir } },
      );
      expect(JSON.parse(stdout)).toEqual({
        readOnly: true,
        names: ["CustomerV3"],
        total: expect.any(Number),
        writeError: "D365_CACHE_READ_ONLY",
      });
      expect(JSON.parse(stdout).total).toBeGreaterThan(0);
      expect(existsSync(`${file}-shm`)).toBe(false);
      expect(mode(cacheDir)).toBe(0o500);
    },
  );

  it("refuses a symlinked database file without touching its target; a dangling link creates nothing", async () => {
    mkdirSync(cacheDir, { mode: 0o700 });
    const target = join(temp.dir, "elsewhere.db");
    writeFileSync(target, "");
    chmodSync(target, 0o644);
    symlinkSync(target, file);
    const error = await openMetadataStore({ cacheDir, cacheUrl: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLocationError);
    expect(error).toMatchObject({
      code: "D365_CACHE_LOCATION",
      message: expect.stringContaining("symbolic link"),
    });
    expect(mode(target)).toBe(0o644);
    expect(statSync(target).size).toBe(0);
    // Reset never deletes through the link either.
    await expect(resetMetadataStore({ cacheDir, cacheUrl: "" })).rejects.toBeInstanceOf(CacheLocationError);
    expect(existsSync(target)).toBe(true);

    const dangling = join(temp.dir, "dangling");
    mkdirSync(dangling, { mode: 0o700 });
    const nowhere = join(temp.dir, "nowhere.db");
    symlinkSync(nowhere, join(dangling, "metadata-v2.db"));
    await expect(openMetadataStore({ cacheDir: dangling, cacheUrl: "" })).rejects.toBeInstanceOf(
      CacheLocationError,
    );
    expect(existsSync(nowhere)).toBe(false);
  });

  it("an existing group/other-writable directory is not changed but reported; one we create is 0700", async () => {
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    const { logger, lines } = capturingLogger();
    const store = await openMetadataStore({ cacheDir, cacheUrl: "", logger });
    try {
      expect(mode(cacheDir)).toBe(0o777);
      expect(lines.some((l) => l.level === 40 && /writable by group or others/.test(String(l.msg)))).toBe(
        true,
      );
      const probe = await probeStore(store);
      expect(probe.warnings.some((w) => w.includes("chmod 700"))).toBe(true);
      expect(probe.integrity.ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("a malformed database (truncated pages) gives CacheCorruptError naming the reset command", async () => {
    const versionId = await seed(cacheDir);
    // Keep the header, cut the rest: the schema still reads, the data pages are gone.
    const header = Buffer.alloc(100);
    const fd = openSync(file, "r");
    readSync(fd, header, 0, 100, 0);
    closeSync(fd);
    const pageSize = header.readUInt16BE(16);
    truncateSync(file, pageSize * 2);
    const failure = await (async () => {
      const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
      try {
        await store.getPublicEntity(versionId, "CustomerV3");
        await store.checkIntegrity();
        return undefined;
      } finally {
        await store.close().catch(() => undefined);
      }
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CacheCorruptError);
    expect((failure as Error).message).toContain("d365fo cache reset");
    const reset = await resetMetadataStore({ cacheDir, cacheUrl: "" });
    expect(reset.removed).toContain(file);
    expect(existsSync(file)).toBe(false);
  });
});
