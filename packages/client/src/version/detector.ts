/**
 * `ModuleVersionDetector`: an environment's version is its installed module set
 * (GetInstalledModules). The application and platform build strings are fetched alongside, in
 * parallel, for display only: their failure is a warning.
 */
import { D365Error, ForbiddenError, VersionDetectionError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "./models.js";

export interface VersionSourceClient {
  getInstalledModules(): Promise<string[]>;
  getApplicationVersion(): Promise<string | null>;
  getPlatformBuildVersion(): Promise<string | null>;
  getApplicationBuildVersion?(): Promise<string | null>;
}

export interface ModuleVersionDetectorOptions {
  /** How long a detected version is reused (default 5 min). */
  ttlMs?: number;
  logger?: Logger;
  now?: () => number;
  /**
   * Also call GetApplicationBuildVersion during detection (a fourth request). Off by default so a
   * detection stays within 3 requests.
   */
  includeApplicationBuildVersion?: boolean;
}

export interface ParsedModuleLines {
  modules: ModuleVersionInfo[];
  skipped: { line: string; reason: string }[];
}

/** Parses GetInstalledModules lines, collecting (not throwing on) the unparsable ones. */
export function parseModuleLines(lines: readonly unknown[]): ParsedModuleLines {
  const modules: ModuleVersionInfo[] = [];
  const skipped: { line: string; reason: string }[] = [];
  for (const line of lines) {
    try {
      modules.push(ModuleVersionInfo.parseFromString(line as string));
    } catch (error) {
      skipped.push({ line: String(line), reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { modules, skipped };
}

export class ModuleVersionDetector {
  private readonly client: VersionSourceClient;
  private readonly ttlMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private cached: { info: EnvironmentVersionInfo; at: number } | undefined;
  private inflight: Promise<EnvironmentVersionInfo> | undefined;
  private skippedLines = 0;
  private readonly includeApplicationBuildVersion: boolean;

  constructor(client: VersionSourceClient, options: ModuleVersionDetectorOptions = {}) {
    this.client = client;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.includeApplicationBuildVersion = options.includeApplicationBuildVersion ?? false;
  }

  /** Lines of the last live detection that could not be parsed (and were left out). */
  get lastSkippedLines(): number {
    return this.skippedLines;
  }

  async getEnvironmentVersion({
    useCache = true,
  }: {
    useCache?: boolean;
  } = {}): Promise<EnvironmentVersionInfo> {
    if (useCache && this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.info;
    // Concurrent callers share one detection.
    if (!this.inflight) {
      this.inflight = this.detect().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  clearCache(): void {
    this.cached = undefined;
  }

  private async detect(): Promise<EnvironmentVersionInfo> {
    const optional = (what: string, call: () => Promise<string | null>) =>
      call().catch((error: unknown) => {
        this.logger.warn({ err: describeError(error) }, `${what} unavailable; continuing without it`);
        return null;
      });
    // Three requests in parallel: the budget of a shared-environment sync is 3 requests in total,
    // so the application *build* version is only asked for when the caller opted in.
    const [lines, applicationVersion, platformVersion, applicationBuildVersion] = await Promise.all([
      this.client.getInstalledModules().catch((error: unknown) => {
        throw detectionError(error);
      }),
      optional("GetApplicationVersion", () => this.client.getApplicationVersion()),
      optional("GetPlatformBuildVersion", () => this.client.getPlatformBuildVersion()),
      this.includeApplicationBuildVersion && this.client.getApplicationBuildVersion
        ? optional("GetApplicationBuildVersion", () =>
            (this.client.getApplicationBuildVersion as () => Promise<string | null>).call(this.client),
          )
        : null,
    ]);
    if (!Array.isArray(lines) || lines.length === 0) {
      throw new VersionDetectionError(
        "GetInstalledModules returned no modules, so the environment's version cannot be determined",
      );
    }
    const { modules, skipped } = parseModuleLines(lines);
    this.skippedLines = skipped.length;
    for (const entry of skipped) {
      this.logger.warn(
        { line: entry.line.slice(0, 300), reason: entry.reason },
        "skipping unparsable module line",
      );
    }
    if (modules.length === 0) {
      throw new VersionDetectionError(
        `None of the ${lines.length} GetInstalledModules lines could be parsed (first: ${JSON.stringify(String(lines[0]).slice(0, 200))})`,
      );
    }
    const info = new EnvironmentVersionInfo({
      modules,
      applicationVersion,
      applicationBuildVersion,
      platformVersion,
    });
    this.cached = { info, at: this.now() };
    this.logger.debug(
      { modules: modules.length, skipped: skipped.length, versionHash: info.versionHash },
      "environment version detected",
    );
    return info;
  }
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof D365Error) return { code: error.code, status: error.status, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

function detectionError(error: unknown): VersionDetectionError {
  const details =
    error instanceof D365Error
      ? {
          status: error.status,
          requestId: error.requestId,
          activityId: error.activityId,
          body: error.body,
          method: error.method,
          url: error.url,
        }
      : {};
  if (error instanceof ForbiddenError || (error instanceof D365Error && error.status === 403)) {
    return new VersionDetectionError(
      "GetInstalledModules was refused (403): the identity lacks the role that may call it. Assign the app's F&O user a role that grants SystemNotifications (e.g. System administrator), or ask an administrator to do so",
      { ...details, cause: error },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new VersionDetectionError(`Could not read the installed modules: ${reason}`, {
    ...details,
    cause: error,
  });
}
