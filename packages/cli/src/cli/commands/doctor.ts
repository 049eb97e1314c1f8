/** `d365fo doctor`: local checks, then connectivity and authentication of every profile. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_STORE_FILE_NAME,
  NetworkError,
  openMetadataStore,
  resolveCacheDir,
  TimeoutError,
} from "d365fo-client";
import { fetch } from "undici";
import type { CliContext } from "../context.js";
import {
  type CheckStatus,
  checkMetadataStore,
  type DoctorCheck,
  doctorExitCode,
  evaluateNodeVersion,
  evaluatePrivatePath,
  failedCheck,
  statPath,
} from "../doctor.js";
import { DoctorFailedError } from "../errors.js";
import { renderTable } from "../output.js";
import { type ConnectionSettings, resolveCacheUrl, settingsForProfile } from "../settings.js";

const CONNECT_TIMEOUT_MS = 10_000;

/** Any HTTP answer (401 included) proves the environment is reachable; auth is checked separately. */
async function probeConnectivity(settings: ConnectionSettings, signal: AbortSignal): Promise<DoctorCheck> {
  const id = `profile:${settings.profileName ?? "environment"}:connectivity`;
  const title = `${settings.profileName ?? settings.baseUrl}: connectivity`;
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/data/`;
  try {
    const response = await fetch(url, {
      method: "GET",
      signal: AbortSignal.any([signal, AbortSignal.timeout(CONNECT_TIMEOUT_MS)]),
      redirect: "manual",
    });
    await response.body?.cancel();
    return { id, title, status: "ok", detail: `${settings.baseUrl} answered HTTP ${response.status}` };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    const wrapped = timedOut
      ? new TimeoutError(`${settings.baseUrl} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`, {
          cause: error,
        })
      : new NetworkError(
          `${settings.baseUrl} is unreachable: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
          { cause: error },
        );
    return failedCheck(id, title, wrapped);
  }
}

async function probeAuthentication(ctx: CliContext, settings: ConnectionSettings): Promise<DoctorCheck> {
  const id = `profile:${settings.profileName ?? "environment"}:auth`;
  const title = `${settings.profileName ?? settings.baseUrl}: authentication`;
  try {
    const cache = await ctx.openCache(settings, { network: true });
    const info = await cache.getEnvironmentVersion({ useCache: false, signal: ctx.signal });
    const how = settings.clientSecret
      ? `client secret (${settings.secretSource})`
      : "default Azure credential";
    return {
      id,
      title,
      status: "ok",
      detail: `${how}; GetInstalledModules answered ${info.modules.length} modules (version ${info.versionHash})`,
    };
  } catch (error) {
    return failedCheck(id, title, error);
  }
}

/**
 * The configured store (`--cache-url` / `D365FO_CACHE_URL`, else the SQLite file in the cache
 * directory). Before the first sync there is no SQLite file: a scratch store in a temporary
 * directory then proves the driver and its search index work, and nothing is created in the
 * user's cache directory.
 */
async function probeStore(ctx: CliContext, cacheDir: string): Promise<DoctorCheck> {
  const cacheUrl = resolveCacheUrl(ctx.globals, ctx.env);
  if (cacheUrl || existsSync(join(cacheDir, DEFAULT_STORE_FILE_NAME))) {
    return checkMetadataStore(() => openMetadataStore({ cacheDir, cacheUrl, logger: ctx.logger }));
  }
  const scratch = await mkdtemp(join(tmpdir(), "d365fo-doctor-"));
  try {
    return await checkMetadataStore(
      // An empty URL means "no URL": a D365FO_CACHE_URL of this process must not win here.
      () => openMetadataStore({ cacheDir: scratch, cacheUrl: "", logger: ctx.logger }),
      `no cache in ${cacheDir} yet (checked a scratch store; the first sync creates it)`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const STATUS_MARK: Record<CheckStatus, string> = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "skip" };

export async function doctorCommand(ctx: CliContext, options: { offline?: boolean }): Promise<number> {
  const checks: DoctorCheck[] = [];
  checks.push(evaluateNodeVersion(process.versions.node));

  const cacheDir = resolveCacheDir(ctx.globals.cacheDir, ctx.env);
  checks.push(await probeStore(ctx, cacheDir));
  checks.push(
    evaluatePrivatePath("cache-dir", "Cache directory", cacheDir, statPath(cacheDir), {
      directory: true,
      mode: 0o700,
      missingIsOk: true,
      missingHint: "It is created on the first sync ('d365fo sync')",
    }),
  );
  checks.push(
    evaluatePrivatePath("config-dir", "Config directory", ctx.profiles.dir, statPath(ctx.profiles.dir), {
      directory: true,
      mode: 0o700,
      missingIsOk: true,
      missingHint: "It is created by 'd365fo profile add'",
    }),
  );
  checks.push(
    evaluatePrivatePath("config-file", "Profiles file", ctx.profiles.path, statPath(ctx.profiles.path), {
      directory: false,
      mode: 0o600,
      missingIsOk: true,
      missingHint: "Add a profile with 'd365fo profile add <name> --base-url <url> …'",
    }),
  );

  let targets: ConnectionSettings[] = [];
  try {
    const file = ctx.profiles.load();
    const names = ctx.globals.profile ? [ctx.globals.profile] : Object.keys(file.profiles).sort();
    targets = names.map((name) => settingsForProfile(file, name, ctx.globals, ctx.env));
    if (names.length === 0 && (ctx.globals.baseUrl || ctx.env.D365FO_BASE_URL)) targets = [ctx.connection()];
    checks.push({ id: "profiles", title: "Profiles", status: "ok", detail: `${names.length} profile(s)` });
  } catch (error) {
    checks.push(failedCheck("profiles", "Profiles", error));
  }

  for (const settings of targets) {
    ctx.redactor.add(settings.clientSecret);
    if (options.offline) {
      checks.push({
        id: `profile:${settings.profileName}:connectivity`,
        title: `${settings.profileName ?? settings.baseUrl}: connectivity`,
        status: "skip",
        detail: "--offline",
      });
      continue;
    }
    const connectivity = await probeConnectivity(settings, ctx.signal);
    checks.push(connectivity);
    if (connectivity.status !== "ok") {
      checks.push({
        id: `profile:${settings.profileName ?? "environment"}:auth`,
        title: `${settings.profileName ?? settings.baseUrl}: authentication`,
        status: "skip",
        detail: "environment unreachable",
      });
      continue;
    }
    if (settings.clientId && !settings.clientSecret) {
      checks.push({
        id: `profile:${settings.profileName ?? "environment"}:secret`,
        title: `${settings.profileName ?? settings.baseUrl}: client secret`,
        status: "warn",
        detail: "no client secret found; the default Azure credential is used",
        fix: "Store one (--client-secret-stdin), name a variable (--client-secret-env) or set D365FO_CLIENT_SECRET",
      });
    }
    checks.push(await probeAuthentication(ctx, settings));
  }

  const exitCode = doctorExitCode(checks);
  const failed = checks.filter((check) => check.status === "fail");
  ctx.output.result({ ok: failed.length === 0, exitCode, checks }, () => {
    const table = renderTable(
      ["check", "status", "detail", "fix"],
      checks.map((check) => [
        check.title,
        STATUS_MARK[check.status],
        check.detail,
        check.status === "ok" ? "" : (check.fix ?? ""),
      ]),
    );
    return `${table}\n${failed.length === 0 ? "All checks passed." : `${failed.length} check(s) failed.`}`;
  });
  if (failed.length > 0) {
    throw new DoctorFailedError(
      `${failed.length} check(s) failed, first: ${failed[0].title}: ${failed[0].detail}`,
      exitCode,
    );
  }
  return 0;
}
