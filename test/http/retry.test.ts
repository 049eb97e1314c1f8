import { describe, expect, it } from "vitest";
import { NetworkError, ProtocolError } from "../../packages/client/src/errors.js";
import {
  backoffDelay,
  parseRetryAfter,
  resolveRetryOptions,
  retryDecision,
} from "../../packages/client/src/http/retry.js";
import type { HttpRequest, HttpResponse } from "../../packages/client/src/http/types.js";

const get: HttpRequest = {
  method: "GET",
  url: new URL("http://127.0.0.1/x"),
  headers: {},
  safe: true,
  responseType: "buffer",
};
const post: HttpRequest = { ...get, method: "POST", safe: false };
const response = (status: number, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
});
const options = resolveRetryOptions({
  maxAttempts: 4,
  baseDelayMs: 100,
  throttledBaseDelayMs: 1000,
  maxDelayMs: 60_000,
  retryAfterCapMs: 300_000,
  random: () => 1,
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120")).toBe(120_000);
    expect(parseRetryAfter(" 0 ")).toBe(0);
  });
  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:02:00 GMT", now)).toBe(120_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });
  it("ignores absent or garbage values", () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  it("grows exponentially within [exp/2, exp] and is capped", () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
  });
});

describe("retryDecision", () => {
  it("honours a long Retry-After on 429 (minutes, not undici's 30 s clamp)", () => {
    const d = retryDecision({ response: response(429, { "retry-after": "240" }) }, get, 1, options);
    expect(d?.delayMs).toBe(240_000);
  });
  it("caps Retry-After at retryAfterCapMs", () => {
    const d = retryDecision({ response: response(429, { "retry-after": "3600" }) }, get, 1, options);
    expect(d?.delayMs).toBe(300_000);
  });
  it("backs off from the throttled base when a 429 has no Retry-After, doubling per 429", () => {
    expect(retryDecision({ response: response(429) }, get, 1, options)?.delayMs).toBe(1000);
    expect(retryDecision({ response: response(429) }, get, 3, options, 2)?.delayMs).toBe(4000);
    // The step follows the request's 429s, not its other failures.
    expect(retryDecision({ response: response(429) }, get, 3, options, 0)?.delayMs).toBe(1000);
  });
  it("waits about a second every time for a storm's 429 (as the limiter read it)", () => {
    const storm: HttpResponse = { ...response(429), throttleReading: "background" };
    expect(retryDecision({ response: storm }, get, 5, options, 4)?.delayMs).toBe(1000);
    const load: HttpResponse = { ...response(429), throttleReading: "congestion" };
    expect(retryDecision({ response: load }, get, 5, options, 4)?.delayMs).toBe(16_000);
  });
  it("backs off from about a second by default, not ten", () => {
    const defaults = resolveRetryOptions();
    expect(defaults.throttledBaseDelayMs).toBe(1_000);
    const first = retryDecision({ response: response(429) }, get, 1, { ...defaults, random: () => 0.5 });
    expect(first?.delayMs).toBe(750);
  });
  it("retries a 429 even for an unsafe POST (it was not processed)", () => {
    expect(retryDecision({ response: response(429) }, post, 1, options)).toBeDefined();
  });
  it("retries 502/503/504 and network failures only for safe requests", () => {
    expect(retryDecision({ response: response(503) }, get, 1, options)).toBeDefined();
    expect(retryDecision({ response: response(503) }, post, 1, options)).toBeUndefined();
    const reset = new NetworkError("reset");
    expect(retryDecision({ error: reset }, get, 1, options)).toBeDefined();
    expect(retryDecision({ error: reset }, post, 1, options)).toBeUndefined();
    expect(retryDecision({ error: reset }, { ...post, safe: true }, 1, options)).toBeDefined();
  });
  it("does not retry 500, 4xx or non-transport errors", () => {
    expect(retryDecision({ response: response(500) }, get, 1, options)).toBeUndefined();
    expect(retryDecision({ response: response(404) }, get, 1, options)).toBeUndefined();
    expect(retryDecision({ error: new ProtocolError("bad") }, get, 1, options)).toBeUndefined();
  });
  it("stops after maxAttempts failures", () => {
    expect(retryDecision({ response: response(503) }, get, 4, options)).toBeUndefined();
    expect(retryDecision({ error: new NetworkError("reset") }, get, 4, options)).toBeUndefined();
  });
  it("counts 429s against their own budget, not the failures'", () => {
    // Attempt 10, nine of them 429s: one failure so far, well within maxAttempts (4).
    expect(retryDecision({ response: response(503) }, get, 10, options, 9)).toBeDefined();
    // The 20th 429 (the default budget) is the last.
    expect(retryDecision({ response: response(429) }, get, 19, options, 18)).toBeDefined();
    expect(retryDecision({ response: response(429) }, get, 20, options, 19)).toBeUndefined();
    const tight = resolveRetryOptions({ maxThrottledAttempts: 3 });
    expect(retryDecision({ response: response(429) }, get, 3, tight, 2)).toBeUndefined();
  });
});
