/**
 * Retry concern. 429 is always retried (a throttled request was not processed, so even a POST is
 * safe to resend), honouring `Retry-After` (seconds or an HTTP date) up to a cap of minutes:
 * undici's own RetryHandler clamps it to 30 s, below what D365 asks for under sustained load.
 * A 429 without Retry-After backs off exponentially from about a second (a storm's 429, as the
 * limiter reads it, waits about a second every time). 429s have their own
 * budget (`maxThrottledAttempts`), apart from the one for failures: under a storm that refuses
 * half the requests, six attempts would leave one request in 64 unanswered, twenty one in a
 * million.
 * 502/503/504, resets and timeouts are retried only for safe requests, with exponential backoff
 * and jitter. 500 is not retried: D365 uses it for real failures (X++ exceptions).
 */
import { isTransportFailure } from "./errors.js";
import { defaultSleep, type HttpRequest, type HttpResponse, type Middleware, type Sleep } from "./types.js";

export interface RetryOptions {
  /** Attempts that fail with a 5xx or a network failure, including the first (default 6). */
  maxAttempts?: number;
  /** Attempts answered 429, including the first (default 20); counted apart from `maxAttempts`. */
  maxThrottledAttempts?: number;
  /** First backoff for 5xx / network failures (default 500 ms). */
  baseDelayMs?: number;
  /** First backoff for a 429 without Retry-After (default 1 s, doubling per 429 of the request). */
  throttledBaseDelayMs?: number;
  /** Upper bound of an exponential backoff step (default 120 s). */
  maxDelayMs?: number;
  /** Upper bound applied to a server's Retry-After (default 10 min). */
  retryAfterCapMs?: number;
  /** Injectable sleep (tests). */
  sleep?: Sleep;
  /** Injectable randomness in [0,1) for jitter (tests). */
  random?: () => number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  return {
    maxAttempts: Math.max(1, options.maxAttempts ?? 6),
    maxThrottledAttempts: Math.max(1, options.maxThrottledAttempts ?? 20),
    baseDelayMs: options.baseDelayMs ?? 500,
    throttledBaseDelayMs: options.throttledBaseDelayMs ?? 1_000,
    maxDelayMs: options.maxDelayMs ?? 120_000,
    retryAfterCapMs: options.retryAfterCapMs ?? 600_000,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
  };
}

/**
 * `Retry-After` in ms: delta-seconds (`120`) or an HTTP date. Undefined when absent or
 * unparsable; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so delays never collapse to 0. */
export function backoffDelay(
  retryIndex: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, retryIndex));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export const RETRYABLE_STATUSES = new Set([502, 503, 504]);

export interface RetryEvent {
  request: HttpRequest;
  attempt: number;
  delayMs: number;
  reason: string;
}

/**
 * The decision for one outcome of attempt `attempt` (1-based, every attempt counted), after
 * `throttledBefore` earlier attempts were answered 429: a delay before the next attempt, or
 * undefined to stop here. Pure, so the policy is testable without sockets.
 */
export function retryDecision(
  outcome: { response?: HttpResponse; error?: unknown },
  request: HttpRequest,
  attempt: number,
  options: ResolvedRetryOptions,
  throttledBefore = 0,
): { delayMs: number; reason: string } | undefined {
  if (request.signal?.aborted) return undefined;
  // Failures (not 429s) so far, this one included; its index picks the backoff step.
  const failures = attempt - throttledBefore;
  const retryIndex = failures - 1;
  const failureBudgetLeft = failures < options.maxAttempts;
  if (outcome.error !== undefined) {
    if (!failureBudgetLeft) return undefined;
    if (!request.safe || !isTransportFailure(outcome.error)) return undefined;
    const code = (outcome.error as { code?: string }).code ?? "error";
    return {
      delayMs: backoffDelay(retryIndex, options.baseDelayMs, options.maxDelayMs, options.random),
      reason: code,
    };
  }
  const response = outcome.response;
  if (!response) return undefined;
  const retryAfter = parseRetryAfter(response.headers["retry-after"]);
  if (response.status === 429) {
    if (throttledBefore + 1 >= options.maxThrottledAttempts) return undefined;
    // A storm's 429 (the limiter saw others pass at the same load) says nothing about load:
    // about a second, every time. A 429 about load backs off exponentially.
    const step = response.throttleReading === "background" ? 0 : throttledBefore;
    const delayMs =
      retryAfter !== undefined
        ? Math.min(retryAfter, options.retryAfterCapMs)
        : backoffDelay(step, options.throttledBaseDelayMs, options.maxDelayMs, options.random);
    return { delayMs, reason: "429" };
  }
  if (RETRYABLE_STATUSES.has(response.status) && request.safe && failureBudgetLeft) {
    const delayMs =
      retryAfter !== undefined
        ? Math.min(retryAfter, options.retryAfterCapMs)
        : backoffDelay(retryIndex, options.baseDelayMs, options.maxDelayMs, options.random);
    return { delayMs, reason: String(response.status) };
  }
  return undefined;
}

export function retryMiddleware(
  options: ResolvedRetryOptions,
  onRetry?: (event: RetryEvent) => void,
): Middleware {
  return async (request, next) => {
    let lastRetryAfter: number | undefined;
    let throttledBefore = 0;
    for (let attempt = 1; ; attempt++) {
      const attemptRequest: HttpRequest = { ...request, attempt };
      let response: HttpResponse | undefined;
      let error: unknown;
      try {
        response = await next(attemptRequest);
      } catch (caught) {
        error = caught;
      }
      if (response) {
        const advice = parseRetryAfter(response.headers["retry-after"]);
        if (advice !== undefined) lastRetryAfter = advice;
      }
      const decision = retryDecision({ response, error }, attemptRequest, attempt, options, throttledBefore);
      if (response?.status === 429) throttledBefore++;
      if (!decision) {
        if (error !== undefined) throw error;
        const final = response as HttpResponse;
        final.attempts = attempt;
        final.retryAfterMs = lastRetryAfter;
        return final;
      }
      onRetry?.({ request: attemptRequest, attempt, delayMs: decision.delayMs, reason: decision.reason });
      await options.sleep(decision.delayMs, request.signal);
    }
  };
}
