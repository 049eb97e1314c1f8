/**
 * The lower bound of a full sync's wall time under the emulator's knobs (issue 13's `limitMs`),
 * pure arithmetic over what the run needed:
 *
 * - fixed: the first request's warm-up, plus version detection at the start and again before
 *   publishing (three actions in parallel, `actionMs` on average, plus a request's latency);
 * - the collections' critical path: their bytes at `perMbMs`, spread over the windows allowed in
 *   flight, plus one request latency per collection request (pages follow each other);
 * - the server's budget: every request holds one of the `maxConcurrent` slots for its latency
 *   (and its transfer time), so slot time / ceiling; with a request-rate limit, the requests
 *   beyond the bucket at the sustained rate.
 *
 * The sync cannot beat fixed + max(critical path, budget): labels can overlap the collections,
 * but every request still needs a slot.
 */
export interface LimitInputs {
  latency: { baseMs: number; jitterMs: number; perMbMs: number; actionMs: number; firstRequestMs: number };
  throttling: { enabled: boolean; maxConcurrent: number; ratePerSecond: number; burst: number };
  /** Requests the sync needed (server side), of which label GETs and action POSTs. */
  requests: number;
  labelRequests: number;
  actionRequests: number;
  bytesReceived: number;
  windowsInFlight: number;
  /** The client's own concurrency cap, when the server has none. */
  clientMaxConcurrent: number;
}

export function syncLowerBoundMs(input: LimitInputs): number {
  const { latency, throttling } = input;
  const meanMs = latency.baseMs + latency.jitterMs / 2;
  const megabytes = input.bytesReceived / 1048576;
  const transferMs = megabytes * latency.perMbMs;
  const fixedMs = latency.firstRequestMs + 2 * (latency.actionMs + meanMs);
  const collectionRequests = Math.max(0, input.requests - input.labelRequests - input.actionRequests);
  const criticalMs = transferMs / Math.max(1, input.windowsInFlight) + collectionRequests * meanMs;
  const ceiling =
    throttling.enabled && throttling.maxConcurrent > 0
      ? Math.min(throttling.maxConcurrent, input.clientMaxConcurrent)
      : input.clientMaxConcurrent;
  const slotMs = (input.requests - input.actionRequests) * meanMs + transferMs;
  const budgetMs = slotMs / ceiling;
  const rateMs =
    throttling.enabled && throttling.ratePerSecond > 0
      ? (Math.max(0, input.requests - throttling.burst) * 1000) / throttling.ratePerSecond
      : 0;
  return Math.round(fixedMs + Math.max(criticalMs, budgetMs, rateMs));
}
