/**
 * Bearer tokens for one environment from any `TokenCredential`: cached until shortly before expiry,
 * concurrent callers share one refresh, and a forced refresh serves the 401-retry path. Credential
 * failures become AuthenticationError with a scrubbed message (no secret, no token) and the
 * reason that decides the hint. Every token obtained is registered with the scrubber.
 */
import {
  type AccessToken,
  ClientSecretCredential,
  DefaultAzureCredential,
  type TokenCredential,
} from "@azure/identity";
import { registerSecret, scrubText } from "../errors/secrets.js";
import { AbortedError, AuthenticationError, type AuthFailureReason, type CredentialKind } from "../errors.js";
import { StaticTokenCredential } from "./static-token.js";

export interface TokenProviderOptions {
  /** Refresh this long before expiry (default 5 min). */
  refreshMarginMs?: number;
  /** Strings that must never appear in an error message (e.g. the client secret). */
  secrets?: readonly string[];
  now?: () => number;
}

/** Removes tokens (anything JWT-shaped), registered secrets and the given ones from a text. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  return scrubText(text, secrets);
}

/** The kind of a credential, for hints that fit it. */
export function credentialKindOf(credential: TokenCredential): CredentialKind {
  if (credential instanceof StaticTokenCredential) return "access-token";
  if (credential instanceof ClientSecretCredential) return "client-secret";
  if (credential instanceof DefaultAzureCredential) return "default";
  return "custom";
}

/**
 * MSAL reports an authority it cannot reach, or whose TLS certificate is not trusted (the
 * emulator without NODE_EXTRA_CA_CERTS), as `endpoints_resolution_error`; Node's own codes say
 * the same for credentials that call the network directly.
 */
const UNREACHABLE_AUTHORITY =
  /endpoints_resolution_error|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_HAS_EXPIRED|ERR_TLS_CERT/;

export function authFailureReason(error: unknown): AuthFailureReason {
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const record = current as { message?: unknown; code?: unknown; errorCode?: unknown };
    const text = `${String(record.message ?? "")} ${String(record.code ?? "")} ${String(record.errorCode ?? "")}`;
    if (UNREACHABLE_AUTHORITY.test(text)) return "identity-provider-unreachable";
    current = (current as { cause?: unknown }).cause;
  }
  return "credential";
}

/** The scope for an environment: `<base url, lowercase, no trailing slash>/.default`. */
export function scopeFor(baseUrl: string): string {
  return `${baseUrl.toLowerCase().replace(/\/+$/, "")}/.default`;
}

export class TokenProvider {
  readonly scope: string;
  readonly credentialKind: CredentialKind;
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
    this.credentialKind = credentialKindOf(credential);
    this.refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.secrets = options.secrets ?? [];
    for (const secret of this.secrets) registerSecret(secret);
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
        { cause, reason: authFailureReason(error), credentialKind: this.credentialKind },
      );
    }
    if (!token?.token) {
      throw new AuthenticationError(`The credential returned no access token for scope ${this.scope}`, {
        reason: "credential",
        credentialKind: this.credentialKind,
      });
    }
    registerSecret(token.token);
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
