/** detectSources(): default locations per platform, D365FO_CACHE_DIR, a given file or folder, v2 and v1. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pythonCacheFolders } from "../../packages/client/src/migration/locations.js";
import { MetadataMigrationManager } from "../../packages/client/src/migration/manager.js";
import { writePythonV1Cache } from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import { copyFixture, FIXTURE_BASE_URL, releaseContent, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir("detect"));
});
afterEach(() => cleanup());

describe("default locations", () => {
  it("Linux: XDG_CACHE_HOME, else ~/.cache; then the 2025 ~/.d365fo-client; D365FO_CACHE_DIR first", () => {
    expect(pythonCacheFolders({ platform: "linux", env: {}, homedir: "/home/u" })).toEqual([
      "/home/u/.cache/d365fo-client",
      "/home/u/.d365fo-client",
    ]);
    expect(
      pythonCacheFolders({
        platform: "linux",
        env: { XDG_CACHE_HOME: "/xdg", D365FO_CACHE_DIR: "/custom" },
        homedir: "/home/u",
      }),
    ).toEqual(["/custom", "/xdg/d365fo-client", "/home/u/.d365fo-client"]);
  });

  it("macOS: ~/Library/Caches", () => {
    expect(pythonCacheFolders({ platform: "darwin", env: {}, homedir: "/Users/u" })[0]).toBe(
      "/Users/u/Library/Caches/d365fo-client",
    );
  });

  it("Windows: LOCALAPPDATA, APPDATA, then ~\\AppData\\Local", () => {
    expect(
      pythonCacheFolders({
        platform: "win32",
        env: { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", APPDATA: "C:\\Users\\u\\AppData\\Roaming" },
        homedir: "C:\\Users\\u",
      }),
    ).toEqual([
      "C:\\Users\\u\\AppData\\Local\\d365fo-client",
      "C:\\Users\\u\\AppData\\Roaming\\d365fo-client",
      "C:\\Users\\u\\.d365fo-client",
    ]);
  });
});

describe("detectSources()", () => {
  it("finds a v2 file and per-host v1 files in the default folder and says what each holds", async () => {
    const home = join(dir, "home");
    const cache = join(home, ".cache", "d365fo-client");
    mkdirSync(join(cache, "usnconeboxax1aos.cloud.onebox.dynamics.com"), { recursive: true });
    copyFixture(cache);
    const { content } = releaseContent();
    writePythonV1Cache(join(cache, "usnconeboxax1aos.cloud.onebox.dynamics.com", "metadata.db"), {
      baseUrl: "https://usnconeboxax1aos.cloud.onebox.dynamics.com",
      versions: [{ applicationVersion: "10.0.42", platformVersion: "7.0.7452.66", isActive: true, content }],
    });
    // Our own cache file sits in the same folder (hyphen, not underscore) and is not a Python cache.
    writeFileSync(join(cache, "metadata-v2.db"), "");
    const manager = new MetadataMigrationManager({
      locations: { platform: "linux", env: {}, homedir: home },
    });
    const sources = await manager.detectSources();
    expect(sources.map((s) => [s.layout, s.path.slice(cache.length + 1)])).toEqual([
      ["v2", "metadata_v2.db"],
      ["v1", "usnconeboxax1aos.cloud.onebox.dynamics.com/metadata.db"],
    ]);
    const [v2, v1] = sources;
    expect(v2.sizeBytes).toBe(245_760);
    expect(v2.versions).toBe(1);
    expect(v2.lastSyncedAt).toBeInstanceOf(Date);
    expect(v2.environments).toEqual([
      expect.objectContaining({
        baseUrl: FIXTURE_BASE_URL,
        moduleCount: 8,
        counts: expect.objectContaining({
          publicEntities: 15,
          dataEntities: 20,
          enumerations: 10,
          labels: 156,
        }),
      }),
    ]);
    expect(v1.environments[0]).toMatchObject({
      applicationVersion: "10.0.42",
      platformVersion: "7.0.7452.66",
      moduleCount: 0,
    });
  });

  it("honours D365FO_CACHE_DIR and a given file or folder; a broken file is listed with its error", async () => {
    const custom = join(dir, "custom");
    mkdirSync(custom);
    copyFixture(custom);
    const manager = new MetadataMigrationManager({
      locations: { platform: "linux", env: { D365FO_CACHE_DIR: custom }, homedir: join(dir, "nohome") },
    });
    expect((await manager.detectSources()).map((s) => s.path)).toEqual([join(custom, "metadata_v2.db")]);

    const other = join(dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "metadata_v2.db"), "not a database");
    const listed = await manager.detectSources(other);
    expect(listed).toHaveLength(1);
    expect(listed[0].error).toMatchObject({ code: "D365_CACHE_IMPORT_SOURCE", problem: "notSqlite" });
    expect((await manager.detectSources(join(custom, "metadata_v2.db")))[0].layout).toBe("v2");
    expect(await manager.detectSources(join(dir, "missing"))).toEqual([]);
  });
});
