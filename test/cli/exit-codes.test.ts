import { describe, expect, it } from "vitest";
import { ProfileError, UsageError } from "../../packages/cli/src/cli/errors.js";
import {
  ExitCode,
  effectiveErrorCode,
  exitCodeForError,
  exitCodeForErrorCode,
} from "../../packages/cli/src/cli/exit-codes.js";
import {
  AbortedError,
  AuthenticationError,
  BadRequestError,
  CacheError,
  ConfigurationError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  NotSyncedError,
  ProtocolError,
  SchemaTooNewError,
  ServerError,
  SyncInProgressError,
  ThrottledError,
  TimeoutError,
  VersionDetectionError,
} from "../../packages/client/src/errors.js";
import { ModuleParseError } from "../../packages/client/src/version/models.js";

describe("exit codes", () => {
  it("maps every error class of src/errors.ts to its documented exit code", () => {
    const cases: [unknown, number][] = [
      [new UsageError("x"), 2],
      [new BadRequestError("x"), 2],
      [new ConfigurationError("x"), 3],
      [new ProfileError("x"), 3],
      [new AuthenticationError("x"), 4],
      [new ForbiddenError("x"), 4],
      [new NotFoundError("x"), 5],
      [new NetworkError("x"), 6],
      [new TimeoutError("x"), 6],
      [new ThrottledError("x", { attempts: 3 }), 7],
      [new ServerError("x"), 8],
      [new ProtocolError("x"), 8],
      [new VersionDetectionError("x"), 9],
      [new ModuleParseError("x", "line"), 9],
      [new CacheError("x"), 10],
      [new SchemaTooNewError(3, 2, "/tmp/x"), 10],
      [new NotSyncedError("x"), 10],
      [new SyncInProgressError("x"), 11],
      [new AbortedError(), 130],
    ];
    for (const [error, code] of cases) expect(exitCodeForError(error), String(error)).toBe(code);
  });

  it("gives specialised cache codes the cache exit code and unknown codes 1", () => {
    expect(exitCodeForErrorCode("D365_CACHE_CORRUPT")).toBe(ExitCode.cache);
    expect(exitCodeForErrorCode("ENOENT")).toBe(ExitCode.unexpected);
    expect(exitCodeForErrorCode(undefined)).toBe(ExitCode.unexpected);
    expect(exitCodeForError(new Error("plain"))).toBe(ExitCode.unexpected);
    expect(exitCodeForError("string")).toBe(ExitCode.unexpected);
  });

  it("looks through version detection to the failure underneath", () => {
    const auth = new VersionDetectionError("Could not read the installed modules", {
      cause: new AuthenticationError("token refused"),
    });
    expect(effectiveErrorCode(auth)).toBe("D365_AUTH");
    expect(exitCodeForError(auth)).toBe(4);
    const network = new VersionDetectionError("x", {
      cause: new Error("wrapped", { cause: new NetworkError("refused") }),
    });
    expect(exitCodeForError(network)).toBe(6);
    // A precise top-level code is never overridden by its cause.
    expect(exitCodeForError(new NotFoundError("x", { cause: new NetworkError("y") }))).toBe(5);
    expect(exitCodeForError(new VersionDetectionError("no modules"))).toBe(9);
    expect(exitCodeForError(new Error("plain", { cause: new ThrottledError("t", { attempts: 2 }) }))).toBe(7);
  });

  it("uses distinct exit codes for distinct kinds", () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
