export { authMiddleware, type BearerTokenSource } from "./auth.js";
export {
  type CollectionStreamOptions,
  HttpClient,
  type HttpClientOptions,
  type HttpOptions,
  type RequestOptions,
} from "./client.js";
export { errorForResponse, parseErrorBody, transportError } from "./errors.js";
export { headersMiddleware, ODATA_HEADERS } from "./headers.js";
export { AdaptiveLimiter, type LimiterOptions, type LimiterState, limiterMiddleware } from "./limiter.js";
export {
  backoffDelay,
  parseRetryAfter,
  type RetryOptions,
  resolveRetryOptions,
  retryDecision,
  retryMiddleware,
} from "./retry.js";
export { type CollectionAnnotations, CollectionParseError, streamCollectionItems } from "./stream-json.js";
export { createTransport, type PoolOptions, type TimeoutOptions } from "./transport.js";
export {
  compose,
  type HttpRequest,
  type HttpResponse,
  type Middleware,
  type Send,
  type Sleep,
} from "./types.js";
