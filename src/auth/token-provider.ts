/**
 * Bearer tokens for one environment from any `TokenCredential`: cached until shortly before expiry,
 * concurrent callers share one refresh, and a forced refresh serves the 401-retry path. Credential
 * failures become AuthenticationError with a scrubbed message (no secret, no token).
 */
import type { AccessToken, TokenCredential } from "@azure/identity";
import { AbortedError, AuthenticationError } from "../errors.js";

export interface TokenProviderOptions {
  /** Refresh this long before expiry (default 5 min). */
  refreshMarginMs?: number;
  /** Strings that must never appear in an error message (e.g. the client secret). */
  secrets?: readonly string[];
  now?: () => number;
}

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Removes tokens (anything JWT-shaped) and the given secrets from a text. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(JWT_PATTERN, "[redacted-token]");
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** The scope for an environment: `<base url, lowercase, no trailing slash>/.default`. */
export function scopeFor(baseUrl: string): string {
  return `${baseUrl.toLowerCase().replace(/\/+$/, "")}/.default`;
}

export class TokenProvider {
  readonly scope: string;
  private readonly credential: TokenCredential;
  private readonly refreshMarginMs: number;
  private readonly secrets: readonly string[];
  private readonly now: () => number;
  private cached: AccessToken | undefined;
  private refreshAt = 0;
  private pending: Promise<AccessToken> | undefined;
  private fetchCount = 0;

  constructor(credential: TokenCredential, baseUrl: string, options: TokenProviderOptions = {}) {
    this.credential = credential;
    this.scope = scopeFor(baseUrl);
    this.refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.secrets = options.secrets ?? [];
    this.now = options.now ?? Date.now;
  }

  /** Tokens fetched from the credential so far (cache misses). */
  get fetches(): number {
    return this.fetchCount;
  }

  /** A valid bearer token; `forceRefresh` skips the cache (after a 401). */
  async getToken(options: { forceRefresh?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    if (!options.forceRefresh && this.cached && this.now() < this.refreshAt) return this.cached.token;
    if (options.forceRefresh && this.pending === undefined) this.cached = undefined;
    if (!this.pending) {
      this.pending = this.fetch(options.signal).finally(() => {
        this.pending = undefined;
      });
    }
    const token = await this.pending;
    return token.token;
  }

  /** Forgets the cached token. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(signal?: AbortSignal): Promise<AccessToken> {
    this.fetchCount++;
    let token: AccessToken | null;
    try {
      token = await this.credential.getToken(this.scope, { abortSignal: signal });
    } catch (error) {
      if (signal?.aborted) throw new AbortedError("Token acquisition was aborted");
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      // The credential's own error is not kept as `cause`: its request/response details are
      // outside our control. A scrubbed copy keeps the useful part (the AADSTS code and text).
      const cause = new Error(scrubSecrets(message, this.secrets));
      cause.name = name;
      throw new AuthenticationError(
        `Could not get an access token for scope ${this.scope} (${name}): ${scrubSecrets(message, this.secrets).slice(0, 600)}`,
        { cause },
      );
    }
    if (!token?.token) {
      throw new AuthenticationError(`The credential returned no access token for scope ${this.scope}`);
    }
    this.cached = token;
    // Refresh 5 min before expiry, or halfway through a shorter lifetime; earlier if the
    // credential suggests it (`refreshAfterTimestamp`).
    const obtained = this.now();
    const lifetime = Math.max(0, token.expiresOnTimestamp - obtained);
    let refreshAt = token.expiresOnTimestamp - Math.min(this.refreshMarginMs, lifetime / 2);
    const hint = (token as AccessToken & { refreshAfterTimestamp?: number }).refreshAfterTimestamp;
    if (typeof hint === "number" && hint > obtained) refreshAt = Math.min(refreshAt, hint);
    this.refreshAt = refreshAt;
    return token;
  }
}
