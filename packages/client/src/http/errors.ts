/**
 * Maps HTTP outcomes to the typed errors of src/errors.ts. Messages are built from the method, the
 * URL, the status and server-provided error text only, never from request headers (which carry
 * the bearer token).
 */
import {
  AbortedError,
  type AspNetErrorBody,
  AuthenticationError,
  BadRequestError,
  type CredentialKind,
  type D365Error,
  type D365ErrorBody,
  type D365ErrorOptions,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  type ODataErrorBody,
  ProtocolError,
  ServerError,
  ThrottledError,
  TimeoutError,
} from "../errors.js";
import type { HttpRequest, HttpResponse } from "./types.js";

/** Parses the two D365 error body forms; anything else (HTML, plain text, empty) gives undefined. */
export function parseErrorBody(body: Buffer | string | undefined): D365ErrorBody | undefined {
  if (!body || body.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object") return undefined;
  const record = parsed as Record<string, unknown>;
  if (record.error && typeof record.error === "object") return record as unknown as D365ErrorBody;
  if (typeof record.Message === "string") return record as unknown as D365ErrorBody;
  // Some gateways use lowercase `message`; keep it in the ASP.NET form.
  if (typeof record.message === "string") return { ...record, Message: record.message } as D365ErrorBody;
  return undefined;
}

export function errorDetails(request: HttpRequest, response?: HttpResponse): D365ErrorOptions {
  return {
    method: request.method,
    url: request.url.toString(),
    requestId: response?.requestId ?? request.requestId,
    activityId: response?.activityId,
    status: response?.status,
  };
}

function serverText(body: D365ErrorBody | undefined): string {
  if (!body) return "";
  let text: string | undefined;
  if ("error" in body && body.error) {
    const error = (body as ODataErrorBody).error;
    text = error.innererror?.message || error.message;
  } else if ("Message" in body) text = (body as AspNetErrorBody).Message;
  if (!text) return "";
  const short = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return `: ${short}`;
}

/** The typed error for a non-2xx response whose body has been read. */
export function errorForResponse(
  request: HttpRequest,
  response: HttpResponse,
  bodyBuffer: Buffer | undefined,
  extra: { attempts?: number; retryAfterMs?: number; credentialKind?: CredentialKind } = {},
): D365Error {
  const body = response.bodyTruncated ? undefined : parseErrorBody(bodyBuffer);
  const options: D365ErrorOptions = { ...errorDetails(request, response), body };
  const status = response.status;
  const what = `${request.method} ${request.url.pathname}${request.url.search}`;
  const suffix = response.bodyTruncated
    ? ` (its ${bodyBuffer?.length ?? 0}-byte start kept; the rest of the oversized error body was not read)`
    : serverText(body);
  switch (true) {
    case status === 401:
      return new AuthenticationError(`${what} was refused as unauthenticated (401)${suffix}`, {
        ...options,
        reason: "token-refused",
        credentialKind: extra.credentialKind,
      });
    case status === 403:
      return new ForbiddenError(`${what} is forbidden for this identity (403)${suffix}`, options);
    case status === 404:
      return new NotFoundError(`${what} was not found (404)${suffix}`, options);
    case status === 429:
      return new ThrottledError(
        `${what} was throttled (429) after ${extra.attempts ?? 1} attempt(s)${suffix}`,
        { ...options, attempts: extra.attempts ?? 1, retryAfterMs: extra.retryAfterMs },
      );
    case status >= 500:
      return new ServerError(`${what} failed with HTTP ${status}${suffix}`, options);
    case status >= 400:
      return new BadRequestError(`${what} was rejected with HTTP ${status}${suffix}`, options);
    default:
      return new ProtocolError(`${what} answered with unexpected HTTP ${status}`, options);
  }
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("D365_")) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Is this a transport failure (no usable response) rather than a bug or an abort? */
export function isTransportFailure(error: unknown): boolean {
  return error instanceof NetworkError || error instanceof TimeoutError;
}

/**
 * Wraps a failure of the transport (connect, reset, timeout, cut-off body, bad gzip) in
 * NetworkError / TimeoutError / AbortedError. The cause is kept: undici and zlib errors never
 * contain request headers.
 */
export function transportError(request: HttpRequest, error: unknown, response?: HttpResponse): D365Error {
  if (error && typeof error === "object" && "code" in error && String(error.code).startsWith("D365_")) {
    return error as D365Error;
  }
  const options = { ...errorDetails(request, response), cause: error };
  const what = `${request.method} ${request.url.pathname}${request.url.search}`;
  if (request.signal?.aborted) return new AbortedError(`${what} was aborted`, options);
  const code = errorCode(error);
  if (code && TIMEOUT_CODES.has(code)) {
    const phase = code === "UND_ERR_BODY_TIMEOUT" ? "while reading the body" : "waiting for the response";
    return new TimeoutError(`${what} timed out ${phase}`, options);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new NetworkError(
    `${what} failed: ${code ? `${code} ` : ""}${reason}${response ? " (response cut off)" : ""}`,
    options,
  );
}
