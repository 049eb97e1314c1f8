/**
 * A bearer token the caller already has (another tool's token, a gateway's, a test server's
 * static one) as a `TokenCredential`. It never refreshes: when the environment refuses it, the
 * error says the token (not a tenant, client or secret) is the problem. The token is registered
 * with the scrubber, so it appears in no error, log line or JSON output.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { registerSecret } from "../errors/secrets.js";
import { AuthenticationError, ConfigurationError } from "../errors.js";

/** Without an `exp` claim, the token is taken to be valid for this long. */
const DEFAULT_LIFETIME_MS = 60 * 60_000;

/** Header characters only: a pasted token with a newline or a `Bearer ` prefix is cleaned up. */
function cleanToken(raw: string): string {
  const token = raw.trim().replace(/^Bearer\s+/i, "");
  if (!token) throw new ConfigurationError("The access token is empty");
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigurationError(
      "The access token contains spaces or control characters; pass the bare token (one line)",
    );
  }
  return token;
}

/** The `exp` claim (ms) of a JWT, without verifying it (the environment does that). */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown };
    return typeof payload.exp === "number" && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class StaticTokenCredential implements TokenCredential {
  private readonly token: string;
  private readonly expiresOnTimestamp: number;

  constructor(token: string, options: { now?: () => number } = {}) {
    this.token = cleanToken(token);
    registerSecret(this.token);
    this.expiresOnTimestamp = jwtExpiry(this.token) ?? (options.now ?? Date.now)() + DEFAULT_LIFETIME_MS;
    // Keep the token out of enumerable state (JSON.stringify, inspect of a config that holds us).
    Object.defineProperty(this, "token", { enumerable: false });
  }

  async getToken(_scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    if (this.expiresOnTimestamp <= Date.now()) {
      throw new AuthenticationError(
        `The access token expired at ${new Date(this.expiresOnTimestamp).toISOString()}; get a fresh one`,
        { reason: "credential", credentialKind: "access-token" },
      );
    }
    return { token: this.token, expiresOnTimestamp: this.expiresOnTimestamp };
  }
}
