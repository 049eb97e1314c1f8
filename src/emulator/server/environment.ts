/**
 * One emulated D365 F&O environment: its own HTTP listener (its origin is its identity and token
 * audience), its release, knobs, counters and seeded randomness. Request pipeline:
 * count → authenticate → throttle → latency → faults → route → send.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../logging.js";
import type { EmulatorEnvironment, EnvironmentCounters, EnvironmentKnobs, KnobsPatch } from "../api.js";
import type { EmulatorRelease } from "../model/types.js";
import { AuthorizationChecker, type TokenExpectations } from "./auth/tokens.js";
import { applyKnobsPatch, cloneKnobs } from "./knobs.js";
import { ODataQueryError } from "./odata/filter.js";
import {
  buildNextLink,
  parseCollectionQuery,
  parseKeySegment,
  parseSelect,
  planPage,
} from "./odata/query.js";
import { createRandom, deriveSeed, type Random, randomGuid } from "./random.js";
import { documentsFor, type ReleaseDocuments, type ReleaseSource } from "./release-documents.js";
import {
  AUTHENTICATION_FAILED_BODY,
  badQuery,
  collectionBody,
  entityBody,
  noResourceFound,
  odataError,
  P3P_HEADER,
  rawJson,
  serverError,
  throttledBody,
} from "./responses.js";
import { type Route, resolveRoute } from "./routes.js";
import { bufferBody, jsonBody, type ResponseBody, sendBody } from "./send.js";
import { Throttle } from "./throttle.js";

const JSON_CONTENT_TYPE = "application/json; odata.metadata=minimal";
const MAX_ACTION_BODY = 1024 * 1024;
const MB = 1024 * 1024;

export interface EnvironmentServerOptions {
  name: string;
  host: string;
  port: number;
  seed: number;
  upgradeStep: number;
  knobs: EnvironmentKnobs;
  source: ReleaseSource;
  /** Current auth settings (keys, tenant, registered clients); audience is this environment. */
  auth: () => Omit<TokenExpectations, "audience">;
  logger: Logger;
}

interface Reply {
  status: number;
  body: ResponseBody;
  headers?: Record<string, string | number>;
  contentType?: string;
}

function emptyCounters(): EnvironmentCounters {
  return { requests: 0, byRoute: {}, bytesSent: 0, throttled: 0, faults: 0, unauthorized: 0, maxInFlight: 0 };
}

/** Unref'd, so a pending emulated delay never keeps a process alive on its own. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class EnvironmentServer implements EmulatorEnvironment {
  readonly name: string;
  private server?: Server;
  private origin = "";
  private currentRelease: EmulatorRelease;
  private docs: ReleaseDocuments;
  private currentKnobs: EnvironmentKnobs;
  private stats = emptyCounters();
  private inFlight = 0;
  private warm = false;
  private readonly random: Random;
  private readonly activityIds: Random;
  private readonly throttle = new Throttle();
  private readonly authorization = new AuthorizationChecker();

  constructor(private readonly options: EnvironmentServerOptions) {
    this.name = options.name;
    this.currentKnobs = cloneKnobs(options.knobs);
    this.currentRelease = options.source.release(options.upgradeStep);
    this.docs = documentsFor(this.currentRelease, options.source);
    this.random = createRandom(deriveSeed(options.seed, `env:${options.name}`));
    this.activityIds = createRandom(deriveSeed(options.seed, `aid:${options.name}`));
  }

  get baseUrl(): string {
    return this.origin;
  }

  get release(): EmulatorRelease {
    return this.currentRelease;
  }

  knobs(): EnvironmentKnobs {
    return cloneKnobs(this.currentKnobs);
  }

  setKnobs(patch: KnobsPatch): void {
    // Replaced wholesale, so a request in progress keeps a consistent snapshot.
    this.currentKnobs = applyKnobsPatch(this.currentKnobs, patch);
    // New throttling settings start a fresh pressure episode and a full bucket.
    if (patch.throttling) this.throttle.reset();
  }

  counters(): EnvironmentCounters {
    return { ...this.stats, byRoute: { ...this.stats.byRoute } };
  }

  resetCounters(): void {
    this.stats = emptyCounters();
    this.stats.maxInFlight = this.inFlight;
  }

  async setRelease(upgradeStep: number): Promise<void> {
    const release = this.options.source.release(upgradeStep);
    this.currentRelease = release;
    this.docs = documentsFor(release, this.options.source);
    // An in-place upgrade restarts the AOS: the metadata warm-up happens again.
    this.warm = false;
  }

  /** Counts a token issued for this environment (the token service calls it). */
  countToken(): void {
    this.stats.byRoute.token = (this.stats.byRoute.token ?? 0) + 1;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.options.logger.error({ err: error, env: this.name }, "emulator request failed");
        if (!res.headersSent) {
          const body = Buffer.from(
            JSON.stringify({ error: { code: "", message: "An error has occurred." } }),
          );
          res.writeHead(500, { "Content-Type": JSON_CONTENT_TYPE, "Content-Length": body.length });
          res.end(body);
        } else {
          res.destroy();
        }
      });
    });
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 60_000;
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    // Lowercase, no trailing slash: exactly the audience F&O expects.
    this.origin = `http://${this.options.host}:${port}`.toLowerCase();
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    this.inFlight++;
    if (this.inFlight > this.stats.maxInFlight) this.stats.maxInFlight = this.inFlight;
    let released = false;
    res.on("close", () => {
      if (!released) {
        released = true;
        this.inFlight--;
      }
    });
    this.stats.requests++;
    const knobs = this.currentKnobs;
    const docs = this.docs;
    const method = req.method ?? "GET";

    const headers: Record<string, string> = {
      "ms-dyn-aid": randomGuid(this.activityIds),
      "OData-Version": "4.0",
      "Cache-Control": "no-cache",
    };
    const requestId = req.headers["x-ms-client-request-id"];
    if (typeof requestId === "string" && requestId !== "") headers["x-ms-client-request-id"] = requestId;

    let url: URL;
    let path: string;
    try {
      url = new URL(req.url ?? "/", this.origin);
      path = decodeURIComponent(url.pathname);
    } catch {
      this.countRoute("badRequest");
      return this.reply(req, res, headers, started, 0, knobs, {
        status: 400,
        body: odataError("The request URI is not valid."),
      });
    }
    const route = resolveRoute(method, path);
    this.countRoute(route.name);

    const auth = await this.authorization.check(req.headers.authorization, {
      ...this.options.auth(),
      audience: this.origin,
    });
    if (!auth.ok) {
      this.stats.unauthorized++;
      this.options.logger.debug({ env: this.name, reason: auth.reason, path }, "401");
      req.resume();
      return this.reply(req, res, { ...headers, P3P: P3P_HEADER }, started, 0, knobs, {
        status: 401,
        body: jsonBody(AUTHENTICATION_FAILED_BODY),
        contentType: "application/json; charset=utf-8",
        headers: { "x-emulator-auth-error": auth.reason ?? "unknown" },
      });
    }

    const decision = this.throttle.decide(knobs.throttling, started, this.inFlight, this.random());
    if (decision.throttled) {
      this.stats.throttled++;
      req.resume();
      const extra: Record<string, string | number> = {};
      if (decision.retryAfterSeconds !== undefined) extra["Retry-After"] = decision.retryAfterSeconds;
      return this.reply(req, res, headers, started, 0, knobs, {
        status: 429,
        body: throttledBody(decision.retryAfterSeconds),
        headers: extra,
      });
    }

    let delay = knobs.latency.baseMs + this.random() * knobs.latency.jitterMs;
    if (route.kind === "installedModules" || route.kind === "versionAction") {
      // Actions take actionMs ± 50% (GetInstalledModules ~1 s on a real box, protocol §3.1).
      delay += knobs.latency.actionMs * (0.5 + this.random());
    }
    if (!this.warm) {
      this.warm = true;
      delay += knobs.latency.firstRequestMs;
    }
    delay = Math.round(delay);

    const faultsApply =
      knobs.faults.pathPattern === undefined || new RegExp(knobs.faults.pathPattern).test(path);
    const fault = faultsApply ? this.drawFault(knobs) : undefined;

    // Action parameters are not used by the emulated actions; the body is drained (bounded).
    if (method === "POST") await drainBody(req);
    else req.resume();
    if (delay > 0) await sleep(delay);
    if (res.destroyed) return;

    if (fault === "reset") {
      this.stats.faults++;
      req.socket.destroy();
      return;
    }
    if (fault === "500" || fault === "503") {
      this.stats.faults++;
      const status = fault === "500" ? 500 : 503;
      return this.reply(req, res, headers, started, delay, knobs, { status, body: serverError(status) });
    }

    let reply: Reply;
    try {
      reply = this.route(route, url, method, docs, knobs, headerText(req.headers.prefer));
    } catch (error) {
      if (!(error instanceof ODataQueryError)) throw error;
      reply = { status: 400, body: badQuery(error) };
    }
    if (fault === "truncate" || fault === "stall") this.stats.faults++;
    return this.reply(req, res, headers, started, delay, knobs, reply, fault);
  }

  private countRoute(name: string): void {
    this.stats.byRoute[name] = (this.stats.byRoute[name] ?? 0) + 1;
  }

  /** One draw per fault kind, always in the same order, so runs with one seed repeat. */
  private drawFault(knobs: EnvironmentKnobs): "reset" | "500" | "503" | "truncate" | "stall" | undefined {
    const f = knobs.faults;
    const draws = [this.random(), this.random(), this.random(), this.random(), this.random()];
    if (draws[0] < f.resetRate) return "reset";
    if (draws[1] < f.error500Rate) return "500";
    if (draws[2] < f.error503Rate) return "503";
    if (draws[3] < f.truncateRate) return "truncate";
    if (draws[4] < f.stallRate) return "stall";
    return undefined;
  }

  private async reply(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
    started: number,
    delay: number,
    knobs: EnvironmentKnobs,
    reply: Reply,
    fault?: string,
  ): Promise<void> {
    const pacing = reply.status === 200 ? (reply.body.size / MB) * knobs.latency.perMbMs : 0;
    const acceptEncoding = String(req.headers["accept-encoding"] ?? "");
    const gzip =
      req.method !== "HEAD" &&
      /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[0-9.]+)?\s*(,|$)/i.test(acceptEncoding);
    const status = reply.status;
    await sendBody(res, {
      status,
      headers: {
        ...headers,
        "Content-Type": reply.contentType ?? JSON_CONTENT_TYPE,
        // Emulator diagnostic: the latency it injected (fixed + per-MB), for tests that must not time.
        "x-emulator-delay-ms": Math.round(delay + pacing),
        ...reply.headers,
      },
      body: reply.body,
      gzip,
      perMbMs: status === 200 ? knobs.latency.perMbMs : 0,
      truncateAt: fault === "truncate" ? 0.5 : undefined,
      stallMs: fault === "stall" ? knobs.faults.stallMs : undefined,
      onBytes: (count) => {
        this.stats.bytesSent += count;
      },
      beforeHeaders: () => ({ "server-timing": `dur=${Date.now() - started}` }),
    });
  }

  private route(
    route: Route,
    url: URL,
    method: string,
    docs: ReleaseDocuments,
    knobs: EnvironmentKnobs,
    prefer: string | undefined,
  ): Reply {
    const base = this.origin;
    switch (route.kind) {
      case "serviceDocument": {
        const head = Buffer.from(`{"@odata.context":${JSON.stringify(`${base}/data/$metadata`)},"value":`);
        const value = docs.serviceDocumentValue();
        const tail = Buffer.from("}");
        return {
          status: 200,
          body: { size: head.length + value.length + 1, chunks: () => [head, value, tail] },
        };
      }
      case "csdl":
        return { status: 200, body: bufferBody(docs.csdlXml()), contentType: "application/xml" };
      case "collection": {
        const collection = docs.collections[route.collection];
        const query = parseCollectionQuery(
          url.searchParams,
          collection.schema,
          docs.selectable[route.collection],
        );
        let matches: number[] | undefined;
        if (query.filter) {
          matches = [];
          for (const [i, item] of collection.items.entries()) if (query.filter(item)) matches.push(i);
        }
        const total = matches ? matches.length : collection.items.length;
        let pageSize = knobs.pageSize;
        const extraHeaders: Record<string, string> = {};
        const preferred = knobs.honourMaxPageSize ? preferredMaxPageSize(prefer) : undefined;
        if (preferred !== undefined) {
          pageSize = pageSize > 0 ? Math.min(pageSize, preferred) : preferred;
          extraHeaders["Preference-Applied"] = `odata.maxpagesize=${pageSize}`;
        }
        const page = planPage({ total, top: query.top, skip: query.skip, pageSize });
        let context = `${base}/${route.metadataSegment}/$metadata#${route.collection}`;
        if (query.select) context += `(${query.select.join(",")})`;
        const nextLink =
          page.nextSkip === undefined
            ? undefined
            : buildNextLink(base, url.pathname, url.searchParams, page.nextSkip);
        return {
          status: 200,
          body: collectionBody({
            context,
            collection,
            matches,
            page,
            count: query.count ? total : undefined,
            select: query.select,
            nextLink,
          }),
          headers: extraHeaders,
        };
      }
      case "item": {
        const collection = docs.collections[route.collection];
        let select: string[] | undefined;
        for (const [name, value] of url.searchParams) {
          if (!name.startsWith("$")) continue;
          if (name === "$select") select = parseSelect(value, docs.selectable[route.collection]);
          else if (name !== "$format") {
            throw new ODataQueryError(`The query option '${name}' is not supported on a single entity`);
          }
        }
        const keys = parseKeySegment(route.keySegment);
        const key = keys.get("") ?? keys.get("Name");
        if (key === undefined || keys.size !== 1) {
          throw new ODataQueryError(`The key '${route.keySegment}' does not match the key property 'Name'`);
        }
        const position = collection.find(key);
        if (position === undefined) {
          return {
            status: 404,
            body: odataError(`Resource not found for the segment '${route.collection}'.`, {
              message: `No ${route.collection} item with the key '${key}' was found.`,
              type: "Microsoft.OData.ODataException",
            }),
          };
        }
        let context = `${base}/${route.metadataSegment}/$metadata#${route.collection}`;
        if (select) context += `(${select.join(",")})`;
        context += "/$entity";
        return { status: 200, body: entityBody(context, collection, position, select) };
      }
      case "label": {
        const keys = parseKeySegment(route.keySegment);
        const id = keys.get("Id");
        const language = keys.get("Language");
        if (id === undefined || language === undefined || keys.size !== 2) {
          throw new ODataQueryError("A label is addressed by both keys: Labels(Id='…',Language='…')");
        }
        const value = docs.label(id, language);
        if (value === undefined) {
          return {
            status: 404,
            body: odataError("Resource not found for the segment 'Labels'.", {
              message: `No label '${id}' in language '${language}'.`,
              type: "Microsoft.OData.ODataException",
            }),
          };
        }
        return {
          status: 200,
          body: jsonBody({
            "@odata.context": `${base}/${route.metadataSegment}/$metadata#Labels/$entity`,
            Id: id,
            Language: language,
            Value: value,
          }),
        };
      }
      case "installedModules": {
        if (knobs.faults.installedModulesForbidden) {
          return {
            status: 403,
            body: odataError("An error has occurred.", {
              message:
                "Access denied: the caller does not have permission to execute action GetInstalledModules.",
              type: "System.UnauthorizedAccessException",
            }),
          };
        }
        return {
          status: 200,
          body: jsonBody({
            "@odata.context": `${base}/data/$metadata#Collection(Edm.String)`,
            value: docs.moduleLines(),
          }),
        };
      }
      case "versionAction": {
        const release = docs.release;
        const value =
          route.action === "GetApplicationVersion"
            ? release.applicationVersion
            : route.action === "GetApplicationBuildVersion"
              ? release.applicationBuildVersion
              : release.platformBuildVersion;
        return {
          status: 200,
          body: jsonBody({ "@odata.context": `${base}/data/$metadata#Edm.String`, value }),
        };
      }
      case "unknownAction":
        return {
          status: 404,
          body: odataError(
            `No HTTP resource was found that matches the request URI '${base}${url.pathname}'.`,
            {
              message: `The action '${route.action}' is not bound to this entity set.`,
              type: "Microsoft.OData.ODataException",
            },
          ),
        };
      case "methodNotAllowed":
        return {
          status: 405,
          body: rawJson(
            JSON.stringify({ Message: `The requested resource does not support http method '${method}'.` }),
          ),
          headers: { Allow: route.allow },
        };
      case "entitySet": {
        if (docs.release.publicEntities.some((e) => e.EntitySetName === route.set)) {
          return {
            status: 501,
            body: odataError("The emulator serves metadata only; entity data is not emulated.", {
              message: `Entity set '${route.set}' exists but its rows are not emulated.`,
              type: "System.NotImplementedException",
            }),
          };
        }
        return { status: 404, body: noResourceFound(`${base}${url.pathname}`) };
      }
      case "notFound":
        return { status: 404, body: noResourceFound(`${base}${url.pathname}`) };
    }
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/** `odata.maxpagesize=<n>` from a `Prefer` header (n ≥ 1), if present. */
function preferredMaxPageSize(prefer: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d+)"?/i.exec(prefer ?? "");
  const size = match ? Number(match[1]) : Number.NaN;
  return size >= 1 ? size : undefined;
}

function drainBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ACTION_BODY) req.destroy();
    });
    req.on("end", () => resolve());
    req.on("close", () => resolve());
    req.on("error", reject);
  });
}
