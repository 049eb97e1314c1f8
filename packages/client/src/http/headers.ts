/** Request-id and OData header concern (protocol §1.7). */
import { randomUUID } from "node:crypto";
import type { Middleware } from "./types.js";

export const ODATA_HEADERS: Readonly<Record<string, string>> = {
  accept: "application/json",
  "odata-maxversion": "4.0",
  "odata-version": "4.0",
};

/**
 * Adds `x-ms-client-request-id` (one GUID per logical request, kept across retries so a support
 * case can follow every attempt) and the OData headers; JSON bodies get their content type.
 */
export function headersMiddleware(userAgent?: string): Middleware {
  return (request, next) => {
    const headers: Record<string, string> = { ...ODATA_HEADERS };
    if (userAgent) headers["user-agent"] = userAgent;
    if (request.body !== undefined) headers["content-type"] = "application/json";
    for (const [key, value] of Object.entries(request.headers)) headers[key.toLowerCase()] = value;
    const requestId = headers["x-ms-client-request-id"] ?? randomUUID();
    headers["x-ms-client-request-id"] = requestId;
    return next({ ...request, headers, requestId });
  };
}
