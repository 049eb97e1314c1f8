/**
 * `detectSources()`: finds Python caches and says what each holds, without importing anything.
 * A file that cannot be read as a Python cache is listed with its typed error, never hidden and
 * never fatal for the others.
 */
import { resolve } from "node:path";
import { normalizedBaseUrlOrNull } from "./keys.js";
import { candidateFilesAt, candidateFilesIn, type LocationContext, pythonCacheFolders } from "./locations.js";
import { activeVersionOf } from "./plan.js";
import { latestCompletedRun } from "./trust.js";
import type {
  PythonCacheInventory,
  PythonCacheLayout,
  PythonCacheOpener,
  PythonVersionCounts,
} from "./types.js";

export interface DetectedEnvironment {
  /** Normalised when usable, else as stored. */
  baseUrl: string;
  name: string | null;
  lastSyncAt: Date | null;
  /** The Python version hash it serves, if any. */
  versionHash: string | null;
  moduleCount: number;
  applicationVersion: string | null;
  platformVersion: string | null;
  counts: PythonVersionCounts | null;
}

export interface DetectedSource {
  path: string;
  layout: PythonCacheLayout | null;
  sizeBytes: number;
  modifiedAt: Date | null;
  environments: DetectedEnvironment[];
  versions: number;
  /** The most recent sync any of its versions finished (or, failing that, any environment's last sync). */
  lastSyncedAt: Date | null;
  /** Set when the file is not an importable Python cache. */
  error?: { code: string; problem?: string; message: string };
}

export function summarizeInventory(inventory: PythonCacheInventory): DetectedSource {
  let lastSyncedAt: Date | null = null;
  const later = (d: Date | null) => {
    if (d && (!lastSyncedAt || d > lastSyncedAt)) lastSyncedAt = d;
  };
  for (const v of inventory.versions) later(latestCompletedRun(v.runs)?.completedAt ?? null);
  for (const e of inventory.environments) later(e.lastSyncAt);
  if (!lastSyncedAt && inventory.file.layout === "v1")
    for (const v of inventory.versions) later(v.firstSeenAt);
  return {
    path: inventory.file.path,
    layout: inventory.file.layout,
    sizeBytes: inventory.file.sizeBytes,
    modifiedAt: inventory.file.modifiedAt,
    versions: inventory.versions.length,
    lastSyncedAt,
    environments: inventory.environments.map((env) => {
      const version = activeVersionOf(inventory, env.sourceId);
      return {
        baseUrl: normalizedBaseUrlOrNull(env.baseUrl) ?? env.baseUrl.slice(0, 200),
        name: env.name,
        lastSyncAt: env.lastSyncAt,
        versionHash: version?.versionHash ?? null,
        moduleCount: version?.modules.length ?? 0,
        applicationVersion: version?.applicationVersion ?? null,
        platformVersion: version?.platformVersion ?? null,
        counts: version?.counts ?? null,
      };
    }),
  };
}

/** Candidate files: a given file or folder, else every default location for the platform. */
export function candidateFiles(ctx: LocationContext, path?: string): string[] {
  const files = path
    ? candidateFilesAt(resolve(path))
    : pythonCacheFolders(ctx).flatMap((f) => candidateFilesIn(f));
  return [...new Set(files)];
}

export async function detectSources(
  open: PythonCacheOpener,
  ctx: LocationContext,
  path?: string,
): Promise<DetectedSource[]> {
  const sources: DetectedSource[] = [];
  for (const file of candidateFiles(ctx, path)) {
    let reader: Awaited<ReturnType<PythonCacheOpener>> | undefined;
    try {
      reader = await open(file);
      sources.push(summarizeInventory(await reader.readInventory()));
    } catch (error) {
      const e = error as { code?: string; problem?: string; message?: string };
      sources.push({
        path: file,
        layout: null,
        sizeBytes: 0,
        modifiedAt: null,
        environments: [],
        versions: 0,
        lastSyncedAt: null,
        error: {
          code: e.code ?? "D365_CACHE_IMPORT_SOURCE",
          problem: e.problem,
          message: e.message ?? String(error),
        },
      });
    } finally {
      await reader?.close();
    }
  }
  return sources;
}
