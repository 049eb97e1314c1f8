/**
 * Bearer-token concern: attaches the token, and on a 401 refreshes it once and resends once (a
 * token can be revoked or expire early). The token is only ever sent to the environment's own
 * origin.
 */
import { type CredentialKind, ProtocolError } from "../errors.js";
import type { HttpResponse, Middleware } from "./types.js";

export interface BearerTokenSource {
  getToken(options?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<string>;
  /** What produced the tokens, so a refused token gets the hint that fits (a static token). */
  readonly credentialKind?: CredentialKind;
}

export function authMiddleware(tokens: BearerTokenSource, origin: string): Middleware {
  return async (request, next) => {
    if (request.url.origin !== origin) {
      throw new ProtocolError(
        `Refusing to send credentials to ${request.url.origin}: the environment is ${origin}`,
        { method: request.method, url: request.url.toString(), requestId: request.requestId },
      );
    }
    const token = await tokens.getToken({ signal: request.signal });
    const response: HttpResponse = await next({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    });
    if (response.status !== 401) return response;
    const fresh = await tokens.getToken({ forceRefresh: true, signal: request.signal });
    return next({ ...request, headers: { ...request.headers, authorization: `Bearer ${fresh}` } });
  };
}
