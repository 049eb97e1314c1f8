/**
 * One emulated D365 F&O environment: its own HTTP listener (its origin is its identity and token
 * audience), its release, knobs, counters, seeded randomness and entity data. Requests run
 * through the stages of pipeline.ts; handlers/ answers them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "d365fo-client";
import type {
  DataOptions,
  EmulatorEnvironment,
  EnvironmentCounters,
  EnvironmentKnobs,
  KnobsPatch,
} from "../api.js";
import type { EmulatorRelease } from "../model/types.js";
import { AuthorizationChecker, type TokenExpectations } from "./auth/tokens.js";
import { DataStore } from "./data/store.js";
import { WriteValidator } from "./data/writes.js";
import { dispatch } from "./handlers/index.js";
import type { ServiceContext } from "./handlers/types.js";
import { applyKnobsPatch, cloneKnobs, parseDataOptions } from "./knobs.js";
import { JSON_CONTENT_TYPE, type PipelineHost, runPipeline } from "./pipeline.js";
import { createRandom, deriveSeed, type Random, randomGuid } from "./random.js";
import { documentsFor, type ReleaseDocuments, type ReleaseSource } from "./release-documents.js";
import { Throttle } from "./throttle.js";

export interface EnvironmentServerOptions {
  name: string;
  host: string;
  port: number;
  seed: number;
  upgradeStep: number;
  knobs: EnvironmentKnobs;
  source: ReleaseSource;
  /** Row counts and companies of the generated entity data. */
  data?: DataOptions;
  /** Current auth settings (keys, tenant, registered clients); audience is this environment. */
  auth: () => Omit<TokenExpectations, "audience">;
  logger: Logger;
}

function emptyCounters(): EnvironmentCounters {
  return { requests: 0, byRoute: {}, bytesSent: 0, throttled: 0, faults: 0, unauthorized: 0, maxInFlight: 0 };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class EnvironmentServer implements EmulatorEnvironment, PipelineHost {
  readonly name: string;
  readonly random: Random;
  readonly throttle = new Throttle();
  readonly authorization = new AuthorizationChecker();
  readonly logger: Logger;
  private server?: Server;
  private currentOrigin = "";
  private currentRelease: EmulatorRelease;
  private docs: ReleaseDocuments;
  private currentKnobs: EnvironmentKnobs;
  private currentStats = emptyCounters();
  private dataOptions: DataOptions;
  private store: DataStore;
  private writes: WriteValidator;
  private requestsInFlight = 0;
  private warm = false;
  private readonly activityIds: Random;
  private readonly guids: Random;

  constructor(private readonly options: EnvironmentServerOptions) {
    this.name = options.name;
    this.logger = options.logger;
    this.currentKnobs = cloneKnobs(options.knobs);
    this.currentRelease = options.source.release(options.upgradeStep);
    this.docs = documentsFor(this.currentRelease, options.source);
    this.random = createRandom(deriveSeed(options.seed, `env:${options.name}`));
    this.activityIds = createRandom(deriveSeed(options.seed, `aid:${options.name}`));
    this.guids = createRandom(deriveSeed(options.seed, `guid:${options.name}`));
    this.dataOptions = { ...options.data };
    this.store = new DataStore(this.currentRelease, options.seed, this.dataOptions);
    this.writes = new WriteValidator(this.store, this.currentRelease);
  }

  get baseUrl(): string {
    return this.currentOrigin;
  }

  get origin(): string {
    return this.currentOrigin;
  }

  get stats(): EnvironmentCounters {
    return this.currentStats;
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
    return { ...this.currentStats, byRoute: { ...this.currentStats.byRoute } };
  }

  resetCounters(): void {
    this.currentStats = emptyCounters();
    this.currentStats.maxInFlight = this.requestsInFlight;
  }

  /** Forgets every write; with `options`, also changes row counts or companies (merged). */
  resetData(options?: DataOptions): void {
    const valid = parseDataOptions(options);
    const merged = valid ? { ...this.dataOptions, ...valid } : this.dataOptions;
    // Built before anything is replaced, so refused options leave the environment as it was.
    const store = new DataStore(this.currentRelease, this.options.seed, merged);
    this.dataOptions = merged;
    this.store = store;
    this.writes = new WriteValidator(store, this.currentRelease);
  }

  async setRelease(upgradeStep: number): Promise<void> {
    const release = this.options.source.release(upgradeStep);
    this.currentRelease = release;
    this.docs = documentsFor(release, this.options.source);
    // Rows follow the new schema; writes made on the old release are not carried over.
    this.resetData();
    // An in-place upgrade restarts the AOS: the metadata warm-up happens again.
    this.warm = false;
  }

  /** Counts a token issued for this environment (the token service calls it). */
  countToken(): void {
    this.countRoute("token");
  }

  countRoute(name: string): void {
    this.currentStats.byRoute[name] = (this.currentStats.byRoute[name] ?? 0) + 1;
  }

  auth(): Omit<TokenExpectations, "audience"> {
    return this.options.auth();
  }

  nextActivityId(): string {
    return randomGuid(this.activityIds);
  }

  takeWarmUp(): boolean {
    if (this.warm) return false;
    this.warm = true;
    return true;
  }

  inFlight(): number {
    return this.requestsInFlight;
  }

  serviceContext(knobs: EnvironmentKnobs): ServiceContext {
    const context: ServiceContext = {
      base: this.currentOrigin,
      docs: this.docs,
      knobs,
      store: this.store,
      writes: this.writes,
      countRoute: (name) => this.countRoute(name),
      throttleOperation: () => {
        const decision = this.throttle.decide(
          knobs.throttling,
          Date.now(),
          this.requestsInFlight,
          this.random(),
        );
        if (decision.throttled) this.currentStats.throttled++;
        return decision;
      },
      spendWriteTime: async (operations) => {
        const ms = knobs.latency.writeMs * operations * (0.5 + this.random());
        if (ms >= 1) await sleep(Math.round(ms));
      },
      newGuid: () => randomGuid(this.guids),
      dispatch: (request) => dispatch(request, context),
    };
    return context;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logger.error({ err: error, env: this.name }, "emulator request failed");
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
    this.currentOrigin = `http://${this.options.host}:${port}`.toLowerCase();
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
    this.requestsInFlight++;
    if (this.requestsInFlight > this.currentStats.maxInFlight)
      this.currentStats.maxInFlight = this.requestsInFlight;
    let released = false;
    res.on("close", () => {
      if (!released) {
        released = true;
        this.requestsInFlight--;
      }
    });
    this.currentStats.requests++;
    await runPipeline(this, req, res);
  }
}
