/**
 * The Python cache reader on the real fixture and on hostile files: it reads v2 and v1, never
 * writes to or beside the source, and refuses what is not an importable cache with a typed error.
 */
import { appendFileSync, chmodSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationSourceError } from "../../packages/client/src/migration/errors.js";
import {
  writePythonV1Cache,
  writePythonV2Cache,
} from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import { openPythonCache } from "../../packages/client/src/store/sqlite/python/index.js";
import { copyFixture, FIXTURE_BASE_URL, folderSnapshot, releaseContent, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir("reader"));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  cleanup();
});

describe("the real v2 fixture", () => {
  it("reads its environment, version, module lines and real counts", async () => {
    const path = copyFixture(dir);
    const reader = await openPythonCache(path);
    try {
      const inventory = await reader.readInventory();
      expect(inventory.file.layout).toBe("v2");
      expect(inventory.environments.map((e) => e.baseUrl)).toEqual([FIXTURE_BASE_URL]);
      expect(inventory.versions).toHaveLength(1);
      const [version] = inventory.versions;
      expect(version.modules).toHaveLength(8);
      expect(version.modules.filter((m) => m.moduleId === "ApplicationSuite").map((m) => m.name)).toEqual([
        "ApplicationSuite",
        "Foundation",
      ]);
      expect(version.runs).toHaveLength(1);
      expect(version.runs[0].completedAt).toBeInstanceOf(Date);
      expect(version.counts).toMatchObject({
        dataEntities: 20,
        publicEntities: 15,
        enumerations: 10,
        labels: 156,
      });
      expect(version.counts.duplicateFixedConstraints).toBe(1);
      expect(version.links[0]).toMatchObject({ environmentSourceId: 1, isActive: true });

      const content = await reader.readVersionContent(version.sourceId);
      expect(content.dataEntities).toHaveLength(20);
      expect(content.publicEntities).toHaveLength(15);
      expect(content.enumerations).toHaveLength(10);
      expect(content.labels).toHaveLength(156);
      const props = content.publicEntities.reduce((n, e) => n + e.properties.length, 0);
      expect(props).toBe(version.counts.properties);
    } finally {
      await reader.close();
    }
  });

  it("reads public entities in windows that add up to the whole version", async () => {
    const reader = await openPythonCache(copyFixture(dir));
    try {
      const whole = await reader.readVersionContent(1);
      const windows: number[] = [];
      const streamed = [];
      for await (const window of reader.publicEntityWindows(1, 4)) {
        windows.push(window.length);
        streamed.push(...window);
      }
      expect(windows).toEqual([4, 4, 4, 3]);
      expect(streamed).toEqual(whole.publicEntities);
      const basics = await reader.readVersionBasics(1);
      expect(basics).toEqual({
        dataEntities: whole.dataEntities,
        enumerations: whole.enumerations,
        labels: whole.labels,
      });
    } finally {
      await reader.close();
    }
  });

  it("never writes to the source or beside it, even in a folder nobody may write", async () => {
    const path = copyFixture(dir);
    chmodSync(path, 0o444);
    chmodSync(dir, 0o555);
    const before = folderSnapshot(dir);
    const reader = await openPythonCache(path);
    await reader.readInventory();
    await reader.readVersionContent(1);
    expect(folderSnapshot(dir)).toEqual(before); // no -wal, no -shm, same bytes and mtime
    await reader.close();
    expect(folderSnapshot(dir)).toEqual(before);
  });

  it("includes committed pages of a -wal file beside it, without touching either file", async () => {
    const path = join(dir, "metadata_v2.db");
    const { modules, content } = releaseContent();
    writePythonV2Cache(path, {
      versions: [{ modules, content }],
      environments: [{ baseUrl: "https://a.example.com", version: 0 }],
    });
    // A second writer that keeps its WAL (as a running Python process would).
    const writer = new Database(path);
    writer.pragma("wal_autocheckpoint = 0");
    writer.prepare("INSERT INTO metadata_environments (base_url) VALUES ('https://late.example.com')").run();
    const before = folderSnapshot(dir);
    expect(Object.keys(before)).toContain("metadata_v2.db-wal");
    const reader = await openPythonCache(path);
    const inventory = await reader.readInventory();
    await reader.close();
    const after = folderSnapshot(dir);
    writer.close();
    expect(reader.file.hasWal).toBe(true);
    expect(inventory.environments.map((e) => e.baseUrl)).toContain("https://late.example.com");
    expect(after).toEqual(before);
  });
});

describe("a v1 file", () => {
  it("reads versions keyed by application and platform versions, labels not version-scoped", async () => {
    const path = join(dir, "metadata.db");
    const { content } = releaseContent();
    writePythonV1Cache(path, {
      baseUrl: "https://usnconeboxax1aos.cloud.onebox.dynamics.com",
      versions: [
        { applicationVersion: "10.0.41", platformVersion: "7.0.7400.1", isActive: false, content },
        { applicationVersion: "10.0.42", platformVersion: "7.0.7452.66", isActive: true, content },
      ],
    });
    const reader = await openPythonCache(path);
    try {
      const inventory = await reader.readInventory();
      expect(inventory.file.layout).toBe("v1");
      expect(inventory.versions.map((v) => [v.applicationVersion, v.links[0].isActive])).toEqual([
        ["10.0.41", false],
        ["10.0.42", true],
      ]);
      expect(inventory.versions[1].modules).toEqual([]);
      expect(inventory.versions[1].counts.publicEntities).toBe(content.publicEntities.length);
      const read = await reader.readVersionContent(inventory.versions[1].sourceId);
      expect(read.publicEntities.map((e) => e.name)).toEqual(content.publicEntities.map((e) => e.name));
      expect(read.publicEntities[0].propertyGroups).toEqual(content.publicEntities[0].propertyGroups);
      expect(read.enumerations).toEqual(content.enumerations);
      expect(read.labels.length).toBe(content.labels.length);
    } finally {
      await reader.close();
    }
  });
});

describe("hostile files give a typed error and change nothing", () => {
  async function refused(path: string) {
    const before = folderSnapshot(dir);
    const error = await openPythonCache(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(folderSnapshot(dir)).toEqual(before);
    expect(error).toBeInstanceOf(MigrationSourceError);
    return error as MigrationSourceError;
  }

  it("a truncated file", async () => {
    const path = copyFixture(dir);
    truncateSync(path, 100_000);
    const error = await refused(path);
    expect(error.problem).toBe("corrupt");
    expect(error.code).toBe("D365_CACHE_IMPORT_SOURCE");
  });

  it("a file that is not SQLite", async () => {
    const path = join(dir, "metadata_v2.db");
    writeFileSync(path, "name,value\nnot,a database\n".repeat(100));
    expect((await refused(path)).problem).toBe("notSqlite");
  });

  it("an empty file", async () => {
    const path = join(dir, "metadata_v2.db");
    writeFileSync(path, "");
    expect((await refused(path)).problem).toBe("notSqlite");
  });

  it("a missing file", async () => {
    expect((await refused(join(dir, "nope.db"))).problem).toBe("unreadable");
  });

  it("an SQLite database with other tables", async () => {
    const path = join(dir, "metadata_v2.db");
    const db = new Database(path);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    db.close();
    expect((await refused(path)).problem).toBe("notPythonCache");
  });

  it("a newer, unknown layout (a renamed column)", async () => {
    const path = copyFixture(dir);
    const db = new Database(path);
    db.exec("ALTER TABLE global_version_modules RENAME COLUMN module_id TO package_id");
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const error = await refused(path);
    expect(error.problem).toBe("unknownLayout");
    expect(error.code).toBe("D365_CACHE_IMPORT_LAYOUT");
  });

  it("a newer layout that marks itself with user_version", async () => {
    const path = copyFixture(dir);
    const db = new Database(path);
    db.pragma("user_version = 3");
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    expect((await refused(path)).problem).toBe("unknownLayout");
  });

  it("garbage appended after a valid header", async () => {
    const path = join(dir, "metadata_v2.db");
    const header = readFileSync(copyFixture(dir, "x.db")).subarray(0, 4096);
    writeFileSync(path, header);
    appendFileSync(path, Buffer.alloc(4096 * 3, 0x5a));
    expect(["corrupt", "notPythonCache"]).toContain((await refused(path)).problem);
  });
});
