/**
 * Service-protection decisions (protocol §5.1–5.2), pure apart from the injected clock: a
 * concurrency ceiling, a token bucket, random "storm" 429s, and a Retry-After that grows while the
 * client keeps pushing (resets once it has backed off for the advised time).
 */
import type { ThrottlingKnobs } from "../api.js";

export interface ThrottleDecision {
  throttled: boolean;
  /** Seconds to advise, or undefined when the header is omitted. */
  retryAfterSeconds?: number;
  reason?: "concurrency" | "rate" | "storm";
}

export class Throttle {
  private tokens = Number.NaN;
  private lastRefill = 0;
  private currentRetryAfter = 0;
  private lastThrottledAt = Number.NEGATIVE_INFINITY;

  /**
   * Decides for a request arriving at `now` (ms) with `inFlight` requests already running
   * (including this one); `draw` is a uniform random number for the storm rate.
   */
  decide(knobs: ThrottlingKnobs, now: number, inFlight: number, draw: number): ThrottleDecision {
    if (!knobs.enabled) return { throttled: false };
    let reason: ThrottleDecision["reason"];
    if (knobs.maxConcurrent > 0 && inFlight > knobs.maxConcurrent) reason = "concurrency";
    else if (knobs.ratePerSecond > 0 && !this.takeToken(knobs, now)) reason = "rate";
    else if (knobs.randomRate > 0 && draw < knobs.randomRate) reason = "storm";
    if (!reason) return { throttled: false };
    const retryAfter = this.nextRetryAfter(knobs, now);
    return { throttled: true, reason, retryAfterSeconds: knobs.omitRetryAfter ? undefined : retryAfter };
  }

  private takeToken(knobs: ThrottlingKnobs, now: number): boolean {
    const capacity = Math.max(1, knobs.burst);
    if (Number.isNaN(this.tokens)) {
      this.tokens = capacity;
      this.lastRefill = now;
    }
    this.tokens = Math.min(capacity, this.tokens + ((now - this.lastRefill) / 1000) * knobs.ratePerSecond);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  private nextRetryAfter(knobs: ThrottlingKnobs, now: number): number {
    const base = Math.max(0, Math.ceil(knobs.retryAfterSeconds));
    const max = Math.max(base, Math.ceil(knobs.maxRetryAfterSeconds));
    // Pressure continues when the client comes back before the advised time has passed.
    const pressureContinues = now - this.lastThrottledAt < this.currentRetryAfter * 1000;
    this.currentRetryAfter = pressureContinues
      ? Math.min(max, Math.max(1, Math.ceil(this.currentRetryAfter * knobs.retryAfterGrowth)))
      : base;
    this.lastThrottledAt = now;
    return this.currentRetryAfter;
  }

  reset(): void {
    this.tokens = Number.NaN;
    this.currentRetryAfter = 0;
    this.lastThrottledAt = Number.NEGATIVE_INFINITY;
  }
}
