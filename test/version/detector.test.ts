import { describe, expect, it } from "vitest";
import { ForbiddenError, ServerError, VersionDetectionError } from "../../packages/client/src/errors.js";
import {
  ModuleVersionDetector,
  type VersionSourceClient,
} from "../../packages/client/src/version/detector.js";
import { computeModulesHash, ModuleVersionInfo } from "../../packages/client/src/version/models.js";

const LINES = [
  "Name: ApplicationCommon | Version: 10.34.2105.34092 | Module: ApplicationCommon | Publisher: Microsoft | DisplayName: Application Common",
  "Name: ApplicationFoundation | Version: 7.0.7521.60 | Module: ApplicationFoundation | Publisher: Microsoft Corporation | DisplayName: Application Foundation",
  "Name: Contoso | Version: 1.0.0.1 | Module: ContosoExt | Publisher: Contoso | DisplayName: Contoso | Tools (ISV)",
];

function fakeClient(overrides: Partial<Record<keyof VersionSourceClient, () => Promise<unknown>>> = {}) {
  const calls: string[] = [];
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const wrap = (name: keyof VersionSourceClient, fallback: () => Promise<unknown>) => async () => {
    started.push(name);
    if (name === "getInstalledModules") await gate;
    calls.push(name);
    return (overrides[name] ?? fallback)();
  };
  const client = {
    getInstalledModules: wrap("getInstalledModules", async () => LINES),
    getApplicationVersion: wrap("getApplicationVersion", async () => "10.0.43"),
    getApplicationBuildVersion: wrap("getApplicationBuildVersion", async () => "10.0.2177.37"),
    getPlatformBuildVersion: wrap("getPlatformBuildVersion", async () => "7.0.7521.60"),
  } as VersionSourceClient;
  return { client, calls, started, release };
}

describe("ModuleVersionDetector", () => {
  it("detects from one GetInstalledModules call with the application and platform versions fetched in parallel (3 requests)", async () => {
    const fake = fakeClient();
    const detector = new ModuleVersionDetector(fake.client);
    const pending = detector.getEnvironmentVersion();
    await new Promise((r) => setImmediate(r));
    // All three started before GetInstalledModules answered; the build version is not asked for.
    expect(fake.started.sort()).toEqual([
      "getApplicationVersion",
      "getInstalledModules",
      "getPlatformBuildVersion",
    ]);
    fake.release();
    const info = await pending;
    expect(info.modules).toHaveLength(3);
    expect(info.modules[2].displayName).toBe("Contoso | Tools (ISV)");
    expect(info.modulesHash).toBe(computeModulesHash(LINES.map((l) => ModuleVersionInfo.parseFromString(l))));
    expect(info.applicationVersion).toBe("10.0.43");
    expect(info.applicationBuildVersion).toBeNull();
    expect(info.platformVersion).toBe("7.0.7521.60");
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls.filter((c) => c === "getInstalledModules")).toHaveLength(1);
  });

  it("also fetches the application build version in parallel when asked to", async () => {
    const fake = fakeClient();
    const detector = new ModuleVersionDetector(fake.client, { includeApplicationBuildVersion: true });
    const pending = detector.getEnvironmentVersion();
    await new Promise((r) => setImmediate(r));
    expect(fake.started.sort()).toEqual([
      "getApplicationBuildVersion",
      "getApplicationVersion",
      "getInstalledModules",
      "getPlatformBuildVersion",
    ]);
    fake.release();
    expect((await pending).applicationBuildVersion).toBe("10.0.2177.37");
  });

  it("caches for the TTL, bypasses with useCache=false, and clearCache forgets", async () => {
    let now = 0;
    const fake = fakeClient();
    fake.release();
    const detector = new ModuleVersionDetector(fake.client, { ttlMs: 1000, now: () => now });
    const first = await detector.getEnvironmentVersion();
    expect(await detector.getEnvironmentVersion()).toBe(first);
    expect(await detector.getEnvironmentVersion({ useCache: false })).not.toBe(first);
    const third = await detector.getEnvironmentVersion();
    now = 1001;
    expect(await detector.getEnvironmentVersion()).not.toBe(third);
    const fourth = await detector.getEnvironmentVersion();
    detector.clearCache();
    expect(await detector.getEnvironmentVersion()).not.toBe(fourth);
    expect(fake.calls.filter((c) => c === "getInstalledModules")).toHaveLength(4);
  });

  it("treats failing application/platform versions as warnings", async () => {
    const fake = fakeClient({
      getApplicationVersion: async () => {
        throw new ServerError("boom");
      },
      getPlatformBuildVersion: async () => {
        throw new ServerError("boom");
      },
    });
    fake.release();
    const info = await new ModuleVersionDetector(fake.client).getEnvironmentVersion();
    expect(info.applicationVersion).toBeNull();
    expect(info.platformVersion).toBeNull();
    expect(info.modules).toHaveLength(3);
  });

  it("skips and counts unparsable lines", async () => {
    const fake = fakeClient({
      getInstalledModules: async () => [...LINES, "garbage", "", "Name: X | Publisher: Y"],
    });
    fake.release();
    const detector = new ModuleVersionDetector(fake.client);
    const info = await detector.getEnvironmentVersion();
    expect(info.modules).toHaveLength(3);
    expect(detector.lastSkippedLines).toBe(3);
  });

  it("fails with VersionDetectionError on 403 (with advice), an empty list, or no parsable line", async () => {
    const cases: [() => Promise<unknown>, RegExp][] = [
      [
        async () => {
          throw new ForbiddenError("forbidden", { status: 403 });
        },
        /refused \(403\).*role/,
      ],
      [async () => [], /no modules/],
      [async () => ["junk", "more junk"], /None of the 2/],
    ];
    for (const [getInstalledModules, message] of cases) {
      const fake = fakeClient({ getInstalledModules });
      fake.release();
      const error = await new ModuleVersionDetector(fake.client)
        .getEnvironmentVersion()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VersionDetectionError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
