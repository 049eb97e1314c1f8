import { describe, expect, it } from "vitest";
import {
  cacheConfigFromClientConfig,
  normalizeEnvironmentUrl,
  resolveCacheConfig,
} from "../../packages/client/src/cache/config.js";
import { ConfigurationError } from "../../packages/client/src/errors.js";

function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}

describe("resolveCacheConfig", () => {
  it("accepts a PostgreSQL cacheUrl (or an explicit empty one) and refuses others without echoing them", () => {
    for (const cacheUrl of [
      "postgres://team@db.example.com/d365",
      "postgresql://db.example.com:5433/d365",
      "",
    ]) {
      expect(resolveCacheConfig({ baseUrl: "https://x.example", cacheUrl }).cacheUrl).toBe(cacheUrl);
    }
    for (const cacheUrl of [
      "mysql://u:hunter22@db.example.com/d365",
      "postgres://u:hunter22@[bad",
      "/var/db",
    ]) {
      const error = configError(() => resolveCacheConfig({ baseUrl: "https://x.example", cacheUrl }));
      expect(error.message).toContain("cacheUrl must be a PostgreSQL URL");
      expect(error.message).not.toContain("hunter22");
    }
    expect(
      cacheConfigFromClientConfig({
        baseUrl: "https://x.example",
        cacheUrl: "postgres://db.example.com/d365",
      }).cacheUrl,
    ).toBe("postgres://db.example.com/d365");
  });

  it("fills defaults and normalises the base URL", () => {
    const config = resolveCacheConfig({ baseUrl: "https://Contoso.Operations.Dynamics.com/" });
    expect(config.baseUrl).toBe("https://contoso.operations.dynamics.com");
    expect(config.languages).toEqual(["en-US"]);
    expect(config.retentionDays).toBe(30);
    expect(config.versionCheckIntervalMs).toBe(0);
  });

  it("names every invalid option in one ConfigurationError", () => {
    const error = configError(() =>
      resolveCacheConfig({ baseUrl: "https://x.example", languages: ["english!"], retentionDays: -1 }),
    );
    expect(error.code).toBe("D365_CONFIG");
    expect(error.message).toContain("languages.0");
    expect(error.message).toContain("retentionDays");
  });

  it("rejects a missing or non-http base URL and URLs with credentials", () => {
    configError(() => resolveCacheConfig({} as never));
    configError(() => resolveCacheConfig({ baseUrl: "ftp://x.example" }));
    const error = configError(() => resolveCacheConfig({ baseUrl: "https://user:pw@x.example" }));
    expect(error.message).not.toContain("pw");
  });

  it("never puts the client secret into an error message", () => {
    const error = configError(() =>
      resolveCacheConfig({ baseUrl: "https://x.example", clientSecret: "s3cr3t-value", languages: [] }),
    );
    expect(error.message).not.toContain("s3cr3t-value");
  });

  it("normalises URLs like the auth layer (keeps a path, drops query and fragment)", () => {
    expect(normalizeEnvironmentUrl("HTTP://127.0.0.1:8080/?cmp=USMF#x")).toBe("http://127.0.0.1:8080");
    expect(normalizeEnvironmentUrl("https://host/Tenant/")).toBe("https://host/tenant");
  });
});

describe("cacheConfigFromClientConfig (FOClientConfig compatibility)", () => {
  it("maps metadataCacheDir, accepts the v2 flags and passes autoMigrateCache on", () => {
    const config = cacheConfigFromClientConfig({
      baseUrl: "https://x.example",
      enableMetadataCache: true,
      enableMetadataCacheV2: true,
      metadataVersion: "v2",
      autoMigrateCache: true,
      metadataCacheDir: "/tmp/cache-here",
      languages: ["en-US", "de-DE"],
    });
    expect(config.cacheDir).toBe("/tmp/cache-here");
    expect(config.languages).toEqual(["en-US", "de-DE"]);
    expect(config).not.toHaveProperty("metadataVersion");
    expect(config.autoMigrateCache).toBe(true);
  });

  it('refuses metadataVersion "v1" with an explanation', () => {
    const error = configError(() =>
      cacheConfigFromClientConfig({ baseUrl: "https://x.example", metadataVersion: "v1" }),
    );
    expect(error.message).toMatch(/only the v2 metadata cache/);
  });

  it("refuses an unknown metadataVersion and a disabled cache", () => {
    configError(() =>
      cacheConfigFromClientConfig({ baseUrl: "https://x.example", metadataVersion: "v3" as "v2" }),
    );
    configError(() =>
      cacheConfigFromClientConfig({ baseUrl: "https://x.example", enableMetadataCache: false }),
    );
  });
});
