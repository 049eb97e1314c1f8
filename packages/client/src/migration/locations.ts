/**
 * Where the Python tool keeps its caches (python-cache-formats.md §1 and §2), as pure functions of
 * the platform, the environment variables and the home directory, plus the folder scan that
 * turns folders into candidate files.
 */
import { readdirSync, statSync } from "node:fs";
import { posix, win32 } from "node:path";

export const PYTHON_V2_FILE = "metadata_v2.db";
export const PYTHON_V1_FILE = "metadata.db";
const APP = "d365fo-client";

export interface LocationContext {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
}

const set = (v: string | undefined): v is string => typeof v === "string" && v.trim() !== "";

/**
 * Folders that may hold a Python cache, most specific first: `D365FO_CACHE_DIR`, the platform's
 * user cache folder, then the 2025-08-23…2025-09-14 default `~/.d365fo-client`.
 */
export function pythonCacheFolders(ctx: LocationContext): string[] {
  const p = ctx.platform === "win32" ? win32 : posix;
  const folders: string[] = [];
  if (set(ctx.env.D365FO_CACHE_DIR)) folders.push(ctx.env.D365FO_CACHE_DIR);
  if (ctx.platform === "win32") {
    if (set(ctx.env.LOCALAPPDATA)) folders.push(p.join(ctx.env.LOCALAPPDATA, APP));
    if (set(ctx.env.APPDATA)) folders.push(p.join(ctx.env.APPDATA, APP));
    folders.push(p.join(ctx.homedir, "AppData", "Local", APP));
  } else if (ctx.platform === "darwin") {
    folders.push(p.join(ctx.homedir, "Library", "Caches", APP));
  } else {
    folders.push(
      p.join(set(ctx.env.XDG_CACHE_HOME) ? ctx.env.XDG_CACHE_HOME : p.join(ctx.homedir, ".cache"), APP),
    );
  }
  folders.push(p.join(ctx.homedir, `.${APP}`));
  return [...new Set(folders)];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Candidate files in a folder: `metadata_v2.db`, a `metadata.db` in it, and the per-host
 * `<host>/metadata.db` of v1. A folder that cannot be listed yields what can be seen.
 */
export function candidateFilesIn(
  folder: string,
  join: (...parts: string[]) => string = posix.join,
): string[] {
  const files: string[] = [];
  const v2 = join(folder, PYTHON_V2_FILE);
  if (isFile(v2)) files.push(v2);
  const v1Here = join(folder, PYTHON_V1_FILE);
  if (isFile(v1Here)) files.push(v1Here);
  let entries: string[] = [];
  try {
    entries = readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return files;
  }
  for (const name of entries) {
    const v1 = join(folder, name, PYTHON_V1_FILE);
    if (isFile(v1)) files.push(v1);
  }
  return files;
}

/** A given path: a file is itself; a folder is scanned like a default location. */
export function candidateFilesAt(path: string): string[] {
  try {
    if (statSync(path).isFile()) return [path];
  } catch {
    return [];
  }
  return candidateFilesIn(path);
}
