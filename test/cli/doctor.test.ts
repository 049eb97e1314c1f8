import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkMetadataStore,
  compareVersions,
  doctorExitCode,
  evaluateNodeVersion,
  evaluatePrivatePath,
  evaluateStore,
  failedCheck,
} from "../../packages/cli/src/cli/doctor.js";
import {
  AuthenticationError,
  NetworkError,
  VersionDetectionError,
} from "../../packages/client/src/errors.js";
import { DEFAULT_STORE_FILE_NAME, openMetadataStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";

function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "d365fo-doctor-test-"));
  return use(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const privateDir = { directory: true, mode: 0o700, missingIsOk: true, missingHint: "created on first sync" };

describe("doctor checks", () => {
  it("compares dotted versions numerically", () => {
    expect(compareVersions("20.19.0", "20.19.0")).toBe(0);
    expect(compareVersions("v20.9.0", "20.19.0")).toBe(-1);
    expect(compareVersions("22.1.0", "20.19.0")).toBe(1);
    expect(evaluateNodeVersion("18.20.0")).toMatchObject({ status: "fail", exitCode: 3 });
    expect(evaluateNodeVersion("20.19.1").status).toBe("ok");
  });

  it("flags group/other permission bits with a chmod hint", () => {
    const state = { exists: true as const, isDirectory: true, mode: 0o755, ownedByCurrentUser: true };
    const check = evaluatePrivatePath("cache-dir", "Cache", "/c", state, privateDir, "linux");
    expect(check).toMatchObject({ status: "fail", fix: "chmod 700 /c" });
    expect(check.detail).toContain("0755");
    const file = evaluatePrivatePath(
      "config-file",
      "Profiles",
      "/p.json",
      { exists: true, isDirectory: false, mode: 0o644, ownedByCurrentUser: true },
      { directory: false, mode: 0o600, missingIsOk: true, missingHint: "" },
      "linux",
    );
    expect(file.fix).toBe("chmod 600 /p.json");
    expect(evaluatePrivatePath("c", "C", "/c", { ...state, mode: 0o700 }, privateDir, "linux").status).toBe(
      "ok",
    );
    expect(evaluatePrivatePath("c", "C", "/c", state, privateDir, "win32").status).toBe("ok");
    expect(evaluatePrivatePath("c", "C", "/c", { exists: false }, privateDir, "linux")).toMatchObject({
      status: "warn",
      fix: "created on first sync",
    });
    expect(
      evaluatePrivatePath(
        "c",
        "C",
        "/c",
        { ...state, ownedByCurrentUser: false, mode: 0o700 },
        privateDir,
        "linux",
      ).status,
    ).toBe("fail");
  });

  it("opens the configured store, describes it, checks its integrity and closes it", async () => {
    await withTempDir(async (dir) => {
      let opened: MetadataStore | undefined;
      const check = await checkMetadataStore(async () => {
        opened = await openMetadataStore({ cacheDir: dir, cacheUrl: "" });
        return opened;
      });
      expect(check).toMatchObject({ id: "store", status: "ok" });
      expect(check.detail).toContain(`sqlite ${join(dir, DEFAULT_STORE_FILE_NAME)}`);
      expect(check.detail).toContain("integrity ok");
      // Closed afterwards: a closed store rejects every call.
      await expect(opened!.listVersions()).rejects.toMatchObject({
        code: expect.stringMatching(/^D365_CACHE/),
      });
    });
  });

  it("fails with the cache exit code on a file that is not a store", async () => {
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, DEFAULT_STORE_FILE_NAME), "this is not a database ".repeat(400));
      const check = await checkMetadataStore(() => openMetadataStore({ cacheDir: dir, cacheUrl: "" }));
      expect(check).toMatchObject({ id: "store", status: "fail", exitCode: 10 });
      expect(check.errorCode).toMatch(/^D365_CACHE/);
      expect(check.fix).toBeTruthy();
    });
  });

  it("reports a failed integrity check with its messages, and warnings as a warning", () => {
    const description = {
      backend: "postgres" as const,
      location: "postgres://db.example.com/d365",
      readOnly: false,
      schemaVersion: 3,
    };
    const check = evaluateStore({
      description,
      integrity: { ok: false, messages: ["reference count of version 2 is 1, 2 environments linked"] },
      warnings: [],
    });
    expect(check).toMatchObject({ status: "fail", exitCode: 10, errorCode: "D365_CACHE" });
    expect(check.detail).toContain("postgres postgres://db.example.com/d365 (schema 3)");
    expect(check.detail).toContain("reference count of version 2");
    const warned = evaluateStore({
      description: { ...description, readOnly: true },
      integrity: { ok: true, messages: [] },
      warnings: ["the cache is read-only"],
    });
    expect(warned).toMatchObject({ status: "warn" });
    expect(warned.detail).toContain("read-only");
    expect(doctorExitCode([warned])).toBe(0);
  });

  it("turns probe errors into failed checks with hints and exit codes from the cause", () => {
    const auth = failedCheck(
      "a",
      "auth",
      new VersionDetectionError("Could not read the installed modules", {
        cause: new AuthenticationError("bad secret"),
      }),
    );
    expect(auth).toMatchObject({ status: "fail", errorCode: "D365_AUTH", exitCode: 4 });
    expect(auth.fix).toMatch(/client secret/);
    const net = failedCheck("n", "net", new NetworkError("refused"));
    expect(net).toMatchObject({ exitCode: 6 });
    expect(net.fix).toMatch(/base URL/);
    expect(doctorExitCode([{ id: "x", title: "x", status: "warn", detail: "" }])).toBe(0);
    expect(doctorExitCode([auth, net])).toBe(4);
  });
});
