import envPaths from "env-paths";

export const DEFAULT_STORE_FILE_NAME = "metadata-v2.db";

/**
 * Where the metadata cache lives: an explicit directory, else `D365FO_CACHE_DIR`, else the user
 * cache directory (`~/.cache/d365fo-client` on Linux, honouring XDG_CACHE_HOME).
 */
export function resolveCacheDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit && explicit.trim() !== "") return explicit;
  const fromEnv = env.D365FO_CACHE_DIR;
  if (fromEnv && fromEnv.trim() !== "") return fromEnv;
  return envPaths("d365fo-client", { suffix: "" }).cache;
}
