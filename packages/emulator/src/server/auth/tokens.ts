/**
 * Access tokens as Entra issues them for D365 F&O (client credentials) and the checks F&O makes on
 * them (protocol §4.4): signature, `exp`/`nbf`, `aud` equal to the environment URL exactly
 * (lowercase, no trailing slash), `tid`, a registered `appid`, and an `oid`.
 */
import { createHash } from "node:crypto";
import { type CryptoKey, decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";

export interface TokenClaimsInput {
  audience: string;
  tenantId: string;
  clientId: string;
  issuer: string;
  lifetimeSeconds: number;
  /** Unique token id (`uti`). */
  tokenId: string;
  /** Seconds since the epoch; defaults to now. */
  issuedAt?: number;
}

/** The service principal's object id: stable per (tenant, client), like a real `oid`. */
export function objectIdFor(tenantId: string, clientId: string): string {
  const hex = createHash("sha256").update(`${tenantId}/${clientId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function signAccessToken(input: TokenClaimsInput, key: CryptoKey, kid: string): Promise<string> {
  const now = input.issuedAt ?? Math.floor(Date.now() / 1000);
  const oid = objectIdFor(input.tenantId, input.clientId);
  // A negative lifetime gives an already-expired token; nbf/iat are moved back so only `exp` fails.
  const issuedAt = input.lifetimeSeconds < 0 ? now + input.lifetimeSeconds - 300 : now;
  return new SignJWT({
    appid: input.clientId,
    appidacr: "1",
    idp: input.issuer,
    oid,
    sub: oid,
    tid: input.tenantId,
    uti: input.tokenId,
    ver: "1.0",
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
    .setAudience(input.audience)
    .setIssuer(input.issuer)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(now + input.lifetimeSeconds)
    .sign(key);
}

export type TokenRejection =
  | "missing"
  | "malformed"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-audience"
  | "wrong-tenant"
  | "unknown-client"
  | "no-object-id";

export interface TokenCheck {
  ok: boolean;
  reason?: TokenRejection;
  clientId?: string;
}

export interface TokenExpectations {
  verifyKey: CryptoKey;
  audience: string;
  tenantId: string;
  clientIds: ReadonlySet<string>;
}

/** Checks an `Authorization` header value the way F&O does. */
export async function checkAuthorization(
  header: string | undefined,
  expect: TokenExpectations,
): Promise<TokenCheck> {
  if (!header) return { ok: false, reason: "missing" };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { ok: false, reason: "malformed" };
  const token = match[1];
  try {
    decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, expect.verifyKey, { algorithms: ["RS256"], clockTolerance: 0 }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf") {
      return { ok: false, reason: "not-yet-valid" };
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "bad-signature" };
    return { ok: false, reason: "malformed" };
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  // Exact comparison: a trailing slash or upper case is a different audience (protocol §4.4).
  if (!audiences.includes(expect.audience)) return { ok: false, reason: "wrong-audience" };
  if (payload.tid !== expect.tenantId) return { ok: false, reason: "wrong-tenant" };
  const clientId = typeof payload.appid === "string" ? payload.appid : undefined;
  if (!clientId || !expect.clientIds.has(clientId)) return { ok: false, reason: "unknown-client" };
  if (typeof payload.oid !== "string" || payload.oid === "") return { ok: false, reason: "no-object-id" };
  return { ok: true, clientId };
}

/**
 * `checkAuthorization` with a small cache of tokens already found valid for this audience (a
 * client reuses one token for thousands of label requests; RS256 verification is the costliest
 * step of a small request). A cached token is still refused once its `exp` has passed.
 */
export class AuthorizationChecker {
  private readonly valid = new Map<string, { exp: number; clientId?: string }>();

  constructor(private readonly maxEntries = 256) {}

  async check(header: string | undefined, expect: TokenExpectations): Promise<TokenCheck> {
    const key = `${expect.audience} ${header}`;
    const cached = header ? this.valid.get(key) : undefined;
    if (cached) {
      if (cached.exp > Date.now() / 1000) return { ok: true, clientId: cached.clientId };
      this.valid.delete(key);
    }
    const result = await checkAuthorization(header, expect);
    if (result.ok && header) {
      const token = header.replace(/^Bearer\s+/i, "").trim();
      const exp = Number(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).exp);
      if (this.valid.size >= this.maxEntries) this.valid.delete(this.valid.keys().next().value!);
      this.valid.set(key, { exp, clientId: result.clientId });
    }
    return result;
  }

  clear(): void {
    this.valid.clear();
  }
}
