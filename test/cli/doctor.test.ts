import { describe, expect, it } from "vitest";
import {
  checkSqliteFts5,
  compareVersions,
  doctorExitCode,
  evaluateNodeVersion,
  evaluatePrivatePath,
  failedCheck,
} from "../../src/cli/doctor.js";
import { AuthenticationError, NetworkError, VersionDetectionError } from "../../src/errors.js";

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

  it("finds FTS5 in the installed better-sqlite3", () => {
    expect(checkSqliteFts5().status).toBe("ok");
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
