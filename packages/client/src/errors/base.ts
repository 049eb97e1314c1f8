/**
 * `D365Error`: every error the library throws, with a stable registered `code` (safe to switch
 * on, never reworded) and, where one exists, the underlying `cause`. HTTP-originated errors also
 * carry the status, our `x-ms-client-request-id`, the server's `ms-dyn-aid` activity id and the
 * parsed D365 error body, so a failure can be quoted to Microsoft support.
 *
 * Secrets never survive into an error: the message, the body, the URL and the whole cause chain
 * are scrubbed at construction (secrets.ts), and again by `toJSON` and `inspect` for secrets
 * registered later.
 */
import { inspect } from "node:util";
import type { ErrorCode } from "./registry.js";
import { scrubErrorChain, scrubText, scrubValue } from "./secrets.js";

/** The D365 OData error envelope: `{"error":{"code","message","innererror":{…}}}`. */
export interface ODataErrorBody {
  error: {
    code?: string;
    message?: string;
    innererror?: { message?: string; type?: string; stacktrace?: string; [key: string]: unknown };
    [key: string]: unknown;
  };
}

/** The ASP.NET Web API error form F&O uses for 401 and some 404s: `{"Message": "…"}`. */
export interface AspNetErrorBody {
  Message: string;
  ExceptionType?: string | null;
  StackTrace?: string | null;
  [key: string]: unknown;
}

export type D365ErrorBody = ODataErrorBody | AspNetErrorBody;

export interface HttpErrorDetails {
  /** HTTP status, when a response was received. */
  status?: number;
  /** The `x-ms-client-request-id` we sent. */
  requestId?: string;
  /** The `ms-dyn-aid` activity id the server answered with. */
  activityId?: string;
  /** HTTP method and URL (query string included, it never carries secrets in this API). */
  method?: string;
  url?: string;
  /** Parsed D365 error body, when the server sent one. */
  body?: D365ErrorBody;
}

export interface D365ErrorOptions extends HttpErrorDetails {
  cause?: unknown;
}

export class D365Error extends Error {
  /** Stable machine-readable code, e.g. `D365_AUTH`; every code is in the registry. */
  readonly code: ErrorCode;
  readonly status?: number;
  readonly requestId?: string;
  readonly activityId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly body?: D365ErrorBody;

  constructor(code: ErrorCode, message: string, options: D365ErrorOptions = {}) {
    if (options.cause !== undefined) scrubErrorChain(options.cause);
    super(scrubText(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.requestId = options.requestId;
    this.activityId = options.activityId;
    this.method = options.method;
    this.url = options.url === undefined ? undefined : scrubText(options.url);
    this.body = options.body === undefined ? undefined : scrubValue(options.body);
  }

  /** The most specific server-provided message, if any (innererror first, then message). */
  get serverMessage(): string | undefined {
    const body = this.body;
    if (!body) return undefined;
    if ("error" in body && body.error) {
      const error = (body as ODataErrorBody).error;
      return error.innererror?.message || error.message || undefined;
    }
    if ("Message" in body) return (body as AspNetErrorBody).Message;
    return undefined;
  }

  toJSON(): Record<string, unknown> {
    return scrubValue({
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      requestId: this.requestId,
      activityId: this.activityId,
      method: this.method,
      url: this.url,
      body: this.body,
    });
  }

  /** `util.inspect` (and so `console.log`) output, scrubbed of secrets registered since construction. */
  [inspect.custom](_depth: number, options: object, inspectFn: typeof inspect = inspect): string {
    scrubErrorChain(this);
    return scrubText(inspectFn(this, { ...options, customInspect: false }));
  }
}

export function isD365Error(value: unknown): value is D365Error {
  return value instanceof D365Error;
}
