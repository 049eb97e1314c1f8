/**
 * One limiter per environment in a process: every `HttpClient` of the same environment (the
 * sync's, the CLI's lookups, a second cache instance) shares what was learned about the server's
 * ceiling and every Retry-After pause, since the server counts all of their requests together.
 * Reference-counted: the limiter goes away with the last client that uses it.
 */
import { AdaptiveLimiter, type LimiterOptions } from "./limiter.js";

interface Entry {
  limiter: AdaptiveLimiter;
  users: number;
}

const shared = new Map<string, Entry>();

export interface SharedLimiter {
  limiter: AdaptiveLimiter;
  /** Drops this user's reference; the last one closes the limiter. Idempotent. */
  release(): void;
}

/**
 * The limiter of the environment `key` (its normalised base URL), created with `options` by the
 * first user; later users get the same instance whatever options they pass.
 */
export function sharedLimiter(key: string, options: LimiterOptions = {}): SharedLimiter {
  let entry = shared.get(key);
  if (!entry) {
    entry = { limiter: new AdaptiveLimiter(options), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    limiter: held.limiter,
    release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0 && shared.get(key) === held) {
        shared.delete(key);
        held.limiter.close();
      }
    },
  };
}
