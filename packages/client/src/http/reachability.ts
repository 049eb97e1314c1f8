/**
 * Reachability concern: an environment whose host refuses connections or does not accept them
 * fails within seconds, and says so, instead of every request (77 labels, 6 attempts each)
 * retrying for a minute. Sits inside the retry concern: it counts connection-level failures
 * with no answer in between, and once they span the budget it opens — every request then fails
 * at once with EnvironmentUnreachableError (which the retry concern does not retry) until the
 * cool-down lets one probe through. Any HTTP answer, whatever its status, closes it again.
 */
import { EnvironmentUnreachableError } from "../errors.js";
import { errorDetails } from "./errors.js";
import type { Middleware } from "./types.js";

export interface ReachabilityOptions {
  /** Connection failures (with no answer in between) before the host counts as unreachable (default 3). */
  failures?: number;
  /** …and the least time they must span, so one burst of parallel failures is not enough (default 1 s). */
  minSpanMs?: number;
  /** How long requests fail at once before one probe is let through (default 10 s). */
  coolDownMs?: number;
  now?: () => number;
}

/** undici / Node codes that mean "no connection", as opposed to a connection that broke. */
const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The first Node/undici code in an error's cause chain. */
export function connectFailureCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECT_FAILURES.has(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    // Happy-eyeballs connects fail with an AggregateError of one error per address.
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const innerCode = connectFailureCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export class ReachabilityTracker {
  private readonly threshold: number;
  private readonly minSpanMs: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;
  private failures = 0;
  private firstFailureAt = 0;
  private lastCode = "";
  private openedAt: number | undefined;
  private probing = false;

  constructor(options: ReachabilityOptions = {}) {
    this.threshold = Math.max(1, options.failures ?? 3);
    this.minSpanMs = options.minSpanMs ?? 1_000;
    this.coolDownMs = options.coolDownMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Is the host currently considered unreachable? */
  get open(): boolean {
    return this.openedAt !== undefined;
  }

  /** Before a request: pass, or (while open) refuse, except one probe after the cool-down. */
  admit(): "pass" | "probe" | "refuse" {
    if (this.openedAt === undefined) return "pass";
    if (!this.probing && this.now() - this.openedAt >= this.coolDownMs) {
      this.probing = true;
      return "probe";
    }
    return "refuse";
  }

  answered(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  /** A connection-level failure; true when it made (or kept) the host unreachable. */
  failed(code: string, probe: boolean): boolean {
    const now = this.now();
    if (this.failures === 0) this.firstFailureAt = now;
    this.failures++;
    this.lastCode = code;
    if (probe) {
      this.probing = false;
      this.openedAt = now;
      return true;
    }
    if (
      this.openedAt === undefined &&
      this.failures >= this.threshold &&
      now - this.firstFailureAt >= this.minSpanMs
    ) {
      this.openedAt = now;
    }
    return this.openedAt !== undefined;
  }

  describe(): { failures: number; elapsedMs: number; code: string } {
    return { failures: this.failures, elapsedMs: this.now() - this.firstFailureAt, code: this.lastCode };
  }
}

export function reachabilityMiddleware(tracker: ReachabilityTracker): Middleware {
  const unreachable = (request: Parameters<Middleware>[0], cause?: unknown) => {
    const { failures, elapsedMs, code } = tracker.describe();
    return new EnvironmentUnreachableError(
      `${request.url.host} is unreachable: ${failures} connection attempt(s) over ${(elapsedMs / 1000).toFixed(1)} s failed (${code}) with no answer in between; giving up instead of retrying`,
      { ...errorDetails(request), cause, failures, elapsedMs },
    );
  };
  return async (request, next) => {
    const admission = tracker.admit();
    if (admission === "refuse") throw unreachable(request);
    const probe = admission === "probe";
    try {
      const response = await next(request);
      tracker.answered();
      return response;
    } catch (error) {
      const code = connectFailureCode(error);
      if (code && tracker.failed(code, probe)) throw unreachable(request, error);
      // Anything else (a reset, a timeout mid-body) means a connection was made.
      if (!code && probe) tracker.answered();
      throw error;
    }
  };
}
