import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  defaultProfileName,
  ProfileStore,
  resolveConfigDir,
  summarizeProfiles,
} from "../../packages/cli/src/cli/profiles.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "d365fo-profiles-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("ProfileStore", () => {
  it("creates the file owner-only (0600) in a 0700 directory", () => {
    const store = new ProfileStore(join(dir, "conf"));
    store.add("dev", {
      baseUrl: "https://dev.example.com",
      tenantId: "t",
      clientId: "c",
      clientSecret: "s3cret!",
    });
    if (process.platform !== "win32") {
      expect(statSync(store.path).mode & 0o777).toBe(0o600);
      expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    }
    expect(JSON.parse(readFileSync(store.path, "utf8")).profiles.dev.baseUrl).toBe("https://dev.example.com");
  });

  it("keeps the first profile the default until another is made default", () => {
    const store = new ProfileStore(dir);
    store.add("dev", { baseUrl: "https://dev.example.com" });
    store.add("uat", { baseUrl: "https://uat.example.com" });
    expect(defaultProfileName(store.load())).toBe("dev");
    store.setDefault("uat");
    expect(defaultProfileName(store.load())).toBe("uat");
    expect(Object.values(store.load().profiles).filter((p) => p.default)).toHaveLength(1);
    store.add("prod", { baseUrl: "https://prod.example.com" }, { makeDefault: true });
    expect(defaultProfileName(store.load())).toBe("prod");
  });

  it("refuses to overwrite without replace, and removes", () => {
    const store = new ProfileStore(dir);
    store.add("dev", { baseUrl: "https://a.example.com" });
    expect(() => store.add("dev", { baseUrl: "https://b.example.com" })).toThrow(/already exists/);
    store.add("dev", { baseUrl: "https://b.example.com" }, { replace: true });
    expect(store.get("dev").baseUrl).toBe("https://b.example.com");
    store.remove("dev");
    expect(() => store.get("dev")).toThrow(/Unknown profile "dev"/);
  });

  it("reports a broken file with a typed error that does not echo its content", () => {
    const store = new ProfileStore(dir);
    writeFileSync(
      store.path,
      '{"version":1,"profiles":{"x":{"baseUrl":"u","clientSecret":"hunter22", "bogus":1}}}',
    );
    try {
      store.load();
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe("D365_PROFILE");
      expect((error as Error).message).not.toContain("hunter22");
    }
    writeFileSync(store.path, "{not json hunter22");
    expect(() => store.load()).toThrow(/not valid JSON/);
  });

  it("rejects bad names and shows secret sources without secrets", () => {
    const store = new ProfileStore(dir);
    expect(() => store.add("../evil", { baseUrl: "https://a" })).toThrow(/Invalid profile name/);
    store.add("a", { baseUrl: "https://a", tenantId: "t", clientId: "c", clientSecret: "topsecret" });
    store.add("b", { baseUrl: "https://b", tenantId: "t", clientId: "c", clientSecretEnv: "B_SECRET" });
    store.add("c", { baseUrl: "https://c" });
    const summary = summarizeProfiles(store.load());
    expect(summary.map((p) => [p.name, p.secret])).toEqual([
      ["a", "stored"],
      ["b", "env"],
      ["c", "none"],
    ]);
    expect(JSON.stringify(summary)).not.toContain("topsecret");
  });

  it("honours D365FO_CONFIG_DIR", () => {
    expect(resolveConfigDir({ D365FO_CONFIG_DIR: dir })).toBe(dir);
    expect(resolveConfigDir({})).toMatch(/d365fo-client/);
  });
});
