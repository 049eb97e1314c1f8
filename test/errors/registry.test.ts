/**
 * The error registry walked code by code: every registered code has a class that raises it, an
 * exit code and a hint; every error class raises a registered code; normal outcomes do not exit
 * as "a bug".
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DoctorFailedError, ProfileError, UsageError } from "../../packages/cli/src/cli/errors.js";
import { WriteRefusedError } from "../../packages/cli/src/mcp/tools-data.js";
import { CodegenDriftError } from "../../packages/client/src/codegen/errors.js";
import { ConcurrencyConflictError, DataValidationError } from "../../packages/client/src/data/errors.js";
import * as errors from "../../packages/client/src/errors.js";
import {
  AbortedError,
  AuthenticationError,
  BadRequestError,
  CacheError,
  ConfigurationError,
  EndlessPagingError,
  EnvironmentChangedError,
  EnvironmentUnreachableError,
  ERROR_REGISTRY,
  ExitCode,
  exitCodeForError,
  ForbiddenError,
  hintForCode,
  hintForError,
  ImplausibleMetadataError,
  InsecureTransportError,
  isErrorCode,
  NetworkError,
  NotFoundError,
  NotSyncedError,
  ProtocolError,
  ResponseTooLargeError,
  SchemaTooNewError,
  ServerError,
  SyncInProgressError,
  SyncLeaseLostError,
  ThrottledError,
  TimeoutError,
  UnsupportedEncodingError,
  ValidationError,
  VersionDetectionError,
} from "../../packages/client/src/errors.js";
import { MigrationSourceError } from "../../packages/client/src/migration/errors.js";
import {
  CacheBusyError,
  CacheClosedError,
  CacheCorruptError,
  CacheFullError,
  CacheLocationError,
  CacheReadOnlyError,
} from "../../packages/client/src/store/errors.js";
import { ModuleParseError } from "../../packages/client/src/version/models.js";

/** One instance of every error class there is. */
function oneOfEach(): { code: string; name: string }[] {
  return [
    new UsageError("x"),
    new ProfileError("x"),
    new DoctorFailedError("x", 4),
    new ValidationError("limit", "x"),
    new BadRequestError("x"),
    new ConfigurationError("x"),
    new InsecureTransportError("x"),
    new AuthenticationError("x"),
    new ForbiddenError("x"),
    new NotFoundError("x"),
    new NetworkError("x"),
    new EnvironmentUnreachableError("x", { failures: 3, elapsedMs: 1000 }),
    new TimeoutError("x"),
    new ThrottledError("x", { attempts: 2 }),
    new ServerError("x"),
    new ProtocolError("x"),
    new UnsupportedEncodingError("compress"),
    new ResponseTooLargeError("item", 10, "x"),
    new EndlessPagingError("x", { pages: 2, reason: "repeat" }),
    new ImplausibleMetadataError("x", [{ collection: "DataEntities", count: 0, previous: 4000 }]),
    new VersionDetectionError("x"),
    new ModuleParseError("x", "line"),
    new CacheError("x"),
    new CacheError("x", { code: "D365_CACHE_CONFLICT" }),
    new CacheError("x", { code: "D365_CACHE_AUTH" }),
    new CacheError("x", { code: "D365_CACHE_UNAVAILABLE" }),
    new WriteRefusedError("x"),
    new SchemaTooNewError(9, 2, "/tmp/x"),
    new CacheBusyError("x"),
    new CacheReadOnlyError("x"),
    new CacheLocationError("x"),
    new CacheCorruptError("/tmp/x.db"),
    new CacheFullError("x"),
    new CacheClosedError("/tmp/x.db"),
    new NotSyncedError("x"),
    new SyncInProgressError("x"),
    new EnvironmentChangedError("a".repeat(64), "b".repeat(64)),
    new SyncLeaseLostError(7),
    new AbortedError(),
    new DataValidationError([{ message: "x" } as never]),
    new ConcurrencyConflictError("x", { ifMatch: 'W/"1"' }),
    new MigrationSourceError("unknownLayout" as never, "/tmp/x", "x"),
    new MigrationSourceError("unreadable" as never, "/tmp/x", "x"),
    new CodegenDriftError("x", []),
  ];
}

describe("the error registry", () => {
  it("has, for every code, a class raising it, an exit code and a hint", () => {
    const instances = oneOfEach();
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) {
      expect(ExitCode[spec.exit], code).toBeTypeOf("number");
      expect(spec.hint.length, code).toBeGreaterThan(10);
      expect(hintForCode(code)).toBe(spec.hint);
      if (code === "D365_UNEXPECTED") continue;
      const raised = instances.filter((error) => error.code === code);
      expect(raised.length, `no class raises ${code}`).toBeGreaterThan(0);
      expect(
        raised.some((error) => error.name === spec.className),
        code,
      ).toBe(true);
      expect(exitCodeForError(raised[0]), code).toBe(ExitCode[spec.exit]);
    }
  });

  it("knows the code of every error class", () => {
    for (const error of oneOfEach()) expect(isErrorCode(error.code), error.code).toBe(true);
    // Every class the library exports is covered above.
    const exported = Object.entries(errors)
      .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
      .map(([name]) => name)
      .filter((name) => name !== "D365Error");
    const covered = new Set(oneOfEach().map((error) => error.name));
    for (const name of exported) expect(covered.has(name), name).toBe(true);
  });

  it("gives normal outcomes their own exit codes, never 1", () => {
    expect(exitCodeForError(new EnvironmentChangedError("a", "b"))).toBe(15);
    expect(exitCodeForError(new SyncLeaseLostError(1))).toBe(16);
    expect(exitCodeForError(new InsecureTransportError("plain http"))).toBe(3);
    for (const error of oneOfEach()) {
      // A failed doctor carries its first check's exit code; a closed store is a caller's bug.
      if (error.code === "D365_DOCTOR_FAILED" || error.code === "D365_CACHE_CLOSED") continue;
      expect(exitCodeForError(error), error.code).not.toBe(ExitCode.unexpected);
    }
    expect(exitCodeForError(new Error("plain"))).toBe(1);
    expect(hintForError(new Error("plain"))).toMatch(/--verbose/);
  });

  it("keeps exit numbers distinct per kind", () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });

  it("looks through a wrapper to the precise cause for the exit code and the hint", () => {
    const wrapped = new VersionDetectionError("modules unknown", {
      cause: new EnvironmentUnreachableError("gone", { failures: 3, elapsedMs: 2000 }),
    });
    expect(exitCodeForError(wrapped)).toBe(ExitCode.network);
    expect(hintForError(wrapped)).toBe(ERROR_REGISTRY.D365_UNREACHABLE.hint);
  });

  it("matches the exit-code table of docs/cli.md, code by code", () => {
    const docs = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");
    const documented = new Map<string, number>();
    for (const line of docs.split("\n")) {
      const row = /^\|\s*(\d+)\s*\|[^|]*\|(.*)\|\s*$/.exec(line);
      if (!row) continue;
      for (const match of row[2].matchAll(/`(D365_[A-Z_]+)`/g)) documented.set(match[1], Number(row[1]));
    }
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) {
      expect(documented.get(code), `${code} in docs/cli.md`).toBe(ExitCode[spec.exit]);
    }
  });
});
