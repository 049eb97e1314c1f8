/**
 * The request pipeline of an environment: small stages run in order, each either passing the
 * exchange on or answering it — target parsing and counting → authentication (401) → throttling
 * (429) → latency and fault draw → body → wait → injected faults → routing to a handler → send.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "d365fo-client";
import type { EnvironmentCounters, EnvironmentKnobs } from "../api.js";
import type { AuthorizationChecker, TokenExpectations } from "./auth/tokens.js";
import type { Reply, ServiceContext, ServiceRequest } from "./handlers/types.js";
import type { Random } from "./random.js";
import {
  AUTHENTICATION_FAILED_BODY,
  odataError,
  P3P_HEADER,
  serverError,
  throttledBody,
} from "./responses.js";
import { type Route, resolveRoute } from "./routes.js";
import { jsonBody, sendBody } from "./send.js";
import type { Throttle } from "./throttle.js";

export const JSON_CONTENT_TYPE = "application/json; odata.metadata=minimal";
const MB = 1024 * 1024;
/** `$batch` bodies carry up to 5,000 operations; other bodies are single entities or parameters. */
const MAX_BATCH_BODY = 256 * MB;
const MAX_BODY = 4 * MB;

/** What the pipeline needs from its environment. */
export interface PipelineHost {
  readonly name: string;
  readonly origin: string;
  readonly stats: EnvironmentCounters;
  readonly random: Random;
  readonly throttle: Throttle;
  readonly authorization: AuthorizationChecker;
  readonly logger: Logger;
  auth(): Omit<TokenExpectations, "audience">;
  knobs(): EnvironmentKnobs;
  nextActivityId(): string;
  countRoute(name: string): void;
  /** True once: the first request after start or an upgrade pays the warm-up. */
  takeWarmUp(): boolean;
  inFlight(): number;
  serviceContext(knobs: EnvironmentKnobs): ServiceContext;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  knobs: EnvironmentKnobs;
  headers: Record<string, string>;
  url?: URL;
  path?: string;
  route?: Route;
  delay: number;
  fault?: "reset" | "500" | "503" | "truncate" | "stall";
  body?: Buffer;
}

/** A stage answers (a Reply), drops the connection ("dropped"), or passes on (undefined). */
type Outcome = Reply | "dropped" | undefined;
type Stage = (exchange: Exchange, host: PipelineHost) => Promise<Outcome> | Outcome;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

const parseTarget: Stage = (x, host) => {
  try {
    x.url = new URL(x.req.url ?? "/", host.origin);
    x.path = decodeURIComponent(x.url.pathname);
  } catch {
    host.countRoute("badRequest");
    x.req.resume();
    return { status: 400, body: odataError("The request URI is not valid.") };
  }
  x.route = resolveRoute(x.req.method ?? "GET", x.path);
  host.countRoute(x.route.name);
  return undefined;
};

const authenticate: Stage = async (x, host) => {
  const auth = await host.authorization.check(x.req.headers.authorization, {
    ...host.auth(),
    audience: host.origin,
  });
  if (auth.ok) return undefined;
  host.stats.unauthorized++;
  host.logger.debug({ env: host.name, reason: auth.reason, path: x.path }, "401");
  x.req.resume();
  x.headers.P3P = P3P_HEADER;
  return {
    status: 401,
    body: jsonBody(AUTHENTICATION_FAILED_BODY),
    contentType: "application/json; charset=utf-8",
    headers: { "x-emulator-auth-error": auth.reason ?? "unknown" },
  };
};

const throttle: Stage = (x, host) => {
  const decision = host.throttle.decide(x.knobs.throttling, x.started, host.inFlight(), host.random());
  if (!decision.throttled) return undefined;
  host.stats.throttled++;
  x.req.resume();
  const headers: Record<string, string | number> = {};
  if (decision.retryAfterSeconds !== undefined) headers["Retry-After"] = decision.retryAfterSeconds;
  return { status: 429, body: throttledBody(decision.retryAfterSeconds), headers };
};

const ACTION_ROUTES = new Set(["installedModules", "versionAction", "entityAction"]);

/** One draw per fault kind, always in the same order, so runs with one seed repeat. */
const schedule: Stage = (x, host) => {
  const { latency, faults } = x.knobs;
  let delay = latency.baseMs + host.random() * latency.jitterMs;
  // Actions take actionMs ± 50% (GetInstalledModules ~1 s on a real box, protocol §3.1).
  if (ACTION_ROUTES.has(x.route?.kind ?? "")) delay += latency.actionMs * (0.5 + host.random());
  if (host.takeWarmUp()) delay += latency.firstRequestMs;
  x.delay = Math.round(delay);
  const applies = faults.pathPattern === undefined || new RegExp(faults.pathPattern).test(x.path ?? "");
  if (applies) {
    const draws = [host.random(), host.random(), host.random(), host.random(), host.random()];
    if (draws[0] < faults.resetRate) x.fault = "reset";
    else if (draws[1] < faults.error500Rate) x.fault = "500";
    else if (draws[2] < faults.error503Rate) x.fault = "503";
    else if (draws[3] < faults.truncateRate) x.fault = "truncate";
    else if (draws[4] < faults.stallRate) x.fault = "stall";
  }
  return undefined;
};

const readBody: Stage = async (x) => {
  const method = x.req.method ?? "GET";
  if (method === "GET" || method === "HEAD" || method === "DELETE") {
    x.req.resume();
    return undefined;
  }
  const limit = x.route?.kind === "batch" ? MAX_BATCH_BODY : MAX_BODY;
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  await new Promise<void>((resolve, reject) => {
    x.req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    x.req.on("end", () => resolve());
    x.req.on("close", () => resolve());
    x.req.on("error", reject);
  });
  if (tooLarge) return { status: 413, body: odataError(`The request body exceeds ${limit / MB} MB.`) };
  x.body = Buffer.concat(chunks, size);
  return undefined;
};

const wait: Stage = async (x) => {
  if (x.delay > 0) await sleep(x.delay);
  return x.res.destroyed ? "dropped" : undefined;
};

const injectFault: Stage = (x, host) => {
  if (x.fault === "reset") {
    host.stats.faults++;
    x.req.socket.destroy();
    return "dropped";
  }
  if (x.fault === "500" || x.fault === "503") {
    host.stats.faults++;
    const status = x.fault === "500" ? 500 : 503;
    return { status, body: serverError(status) };
  }
  if (x.fault === "truncate" || x.fault === "stall") host.stats.faults++;
  return undefined;
};

function headerOf(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(",") : value;
  };
}

const route: Stage = async (x, host) => {
  const request: ServiceRequest = {
    method: x.req.method ?? "GET",
    url: x.url as URL,
    route: x.route as Route,
    header: headerOf(x.req),
    body: x.body,
  };
  const context = host.serviceContext(x.knobs);
  return context.dispatch(request);
};

export const PIPELINE: readonly Stage[] = [
  parseTarget,
  authenticate,
  throttle,
  schedule,
  readBody,
  wait,
  injectFault,
  route,
];

export async function runPipeline(
  host: PipelineHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const exchange: Exchange = {
    req,
    res,
    started: Date.now(),
    knobs: host.knobs(),
    headers: { "ms-dyn-aid": host.nextActivityId(), "OData-Version": "4.0", "Cache-Control": "no-cache" },
    delay: 0,
  };
  const requestId = req.headers["x-ms-client-request-id"];
  if (typeof requestId === "string" && requestId !== "")
    exchange.headers["x-ms-client-request-id"] = requestId;
  for (const stage of PIPELINE) {
    const outcome = await stage(exchange, host);
    if (outcome === "dropped") return;
    if (outcome !== undefined) return send(exchange, host, outcome);
  }
  throw new Error("The request pipeline ended without a reply");
}

async function send(x: Exchange, host: PipelineHost, reply: Reply): Promise<void> {
  const { knobs } = x;
  const pacing = reply.status === 200 ? (reply.body.size / MB) * knobs.latency.perMbMs : 0;
  const acceptEncoding = String(x.req.headers["accept-encoding"] ?? "");
  const gzip =
    x.req.method !== "HEAD" &&
    /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[0-9.]+)?\s*(,|$)/i.test(acceptEncoding);
  await sendBody(x.res, {
    status: reply.status,
    headers: {
      ...x.headers,
      ...(reply.status === 204 ? {} : { "Content-Type": reply.contentType ?? JSON_CONTENT_TYPE }),
      // Emulator diagnostic: the latency it injected (fixed + per-MB), for tests that must not time.
      "x-emulator-delay-ms": Math.round(x.delay + pacing),
      ...reply.headers,
    },
    body: reply.body,
    gzip,
    perMbMs: reply.status === 200 ? knobs.latency.perMbMs : 0,
    truncateAt: x.fault === "truncate" ? 0.5 : undefined,
    stallMs: x.fault === "stall" ? knobs.faults.stallMs : undefined,
    onBytes: (count) => {
      host.stats.bytesSent += count;
    },
    beforeHeaders: () => ({ "server-timing": `dur=${Date.now() - x.started}` }),
  });
}
