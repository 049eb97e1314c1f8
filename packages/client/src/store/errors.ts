/**
 * Typed errors of the metadata store, the same for every backend: each adapter maps its driver's
 * failures onto these (see `sqlite/errors.ts`), so nothing above the adapters ever matches a
 * driver's error text. All are `CacheError`s with a stable `code`.
 */
import { CacheError, type D365ErrorOptions } from "../errors.js";

/** The command that rebuilds a corrupt or unusable cache (quoted in messages). */
export const CACHE_RESET_COMMAND = "d365fo cache reset";

/** The store is open read-only (a cache the user cannot write): reads work, writes are refused. */
export class CacheReadOnlyError extends CacheError {
  constructor(message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_CACHE_READ_ONLY" });
  }
}

/** The store's data is damaged (not a database, malformed pages, a broken index). */
export class CacheCorruptError extends CacheError {
  constructor(location: string, options?: D365ErrorOptions) {
    super(
      `Metadata cache ${location} is corrupt; delete and rebuild it with \`${CACHE_RESET_COMMAND}\` (then sync again)`,
      { ...options, code: "D365_CACHE_CORRUPT" },
    );
  }
}

/** Another process held the store's lock for longer than the busy timeout. */
export class CacheBusyError extends CacheError {
  constructor(message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_CACHE_BUSY" });
  }
}

/** The disk (or the database server's storage) is full. */
export class CacheFullError extends CacheError {
  constructor(message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_CACHE_FULL" });
  }
}

/** The cache's location is unsafe to use (a symbolic link, not a regular file). */
export class CacheLocationError extends CacheError {
  constructor(message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_CACHE_LOCATION" });
  }
}

/** A call on a store that was closed. */
export class CacheClosedError extends CacheError {
  constructor(location: string) {
    super(`Metadata store ${location} is closed`, { code: "D365_CACHE_CLOSED" });
  }
}
