/** Counting and logging concern: one debug line per HTTP exchange, never a header value. */
import type { Logger } from "../logging.js";
import type { Middleware } from "./types.js";

export interface MutableCounters {
  requests: number;
  bytesReceived: number;
  throttled: number;
  retries: number;
}

export function observeMiddleware(counters: MutableCounters, logger: Logger): Middleware {
  return async (request, next) => {
    counters.requests++;
    const started = performance.now();
    const base = {
      method: request.method,
      url: `${request.url.pathname}${request.url.search}`,
      requestId: request.requestId,
      attempt: request.attempt,
    };
    try {
      const response = await next(request);
      if (response.status === 429) counters.throttled++;
      if (logger.isLevelEnabled("debug")) {
        logger.debug(
          {
            ...base,
            status: response.status,
            activityId: response.activityId,
            ms: Math.round(performance.now() - started),
          },
          "http",
        );
      }
      return response;
    } catch (error) {
      logger.debug(
        { ...base, error: (error as { code?: string }).code, ms: Math.round(performance.now() - started) },
        "http failed",
      );
      throw error;
    }
  };
}
