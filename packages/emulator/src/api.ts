/**
 * The emulator's public API (`@d365fo/emulator`): `startEmulator(options)` returns a
 * `RunningEmulator`. Tests, benchmarks, the demo and users' own integration tests depend on these
 * shapes; the server (src/emulator/server/) implements them.
 */
import type { Logger } from "d365fo-client";
import type { EmulatorRelease, PresetName } from "./model/types.js";

export interface LatencyKnobs {
  /** Fixed delay added to every request, in ms. */
  baseMs: number;
  /** Random extra delay in [0, jitterMs), deterministic per request sequence. */
  jitterMs: number;
  /** Server time proportional to the response size, in ms per MB (before compression). */
  perMbMs: number;
  /** Extra delay for actions (POST), in ms (GetInstalledModules really takes ~1 s). */
  actionMs: number;
  /** One-off delay on the first request after start (AOS metadata warm-up), in ms. */
  firstRequestMs: number;
  /**
   * Server time per entity write (create, update, delete; also each one inside `$batch`), in ms,
   * ±50%: X++ validation and the insert run once per row whichever way the row arrives.
   */
  writeMs: number;
}

export interface ThrottlingKnobs {
  enabled: boolean;
  /** Requests in flight above this answer 429 (0 = no concurrency limit). */
  maxConcurrent: number;
  /** Sustained requests per second allowed (token bucket; 0 = no rate limit). */
  ratePerSecond: number;
  /** Bucket size for `ratePerSecond`. */
  burst: number;
  /** Retry-After seconds on the first 429 of a pressure episode. */
  retryAfterSeconds: number;
  /** Retry-After grows by this factor while pressure continues (1 = constant). */
  retryAfterGrowth: number;
  /** Upper bound for the growing Retry-After, in seconds. */
  maxRetryAfterSeconds: number;
  /** Send 429 without a Retry-After header (resource-based throttling often does). */
  omitRetryAfter: boolean;
  /** Also answer 429 to this fraction of requests at random (a "storm"), 0..1. */
  randomRate: number;
}

export interface FaultKnobs {
  /** Fraction of requests answered 500 with the D365 error envelope, 0..1. */
  error500Rate: number;
  /** Fraction answered 503. */
  error503Rate: number;
  /** Fraction whose connection is reset (socket destroyed) before any response. */
  resetRate: number;
  /** Fraction whose body is cut off part-way (connection closed mid-body). */
  truncateRate: number;
  /** Fraction that stall: headers sent, then no bytes for `stallMs`. */
  stallRate: number;
  stallMs: number;
  /** GetInstalledModules answers 403 (role-gated on some tenants). */
  installedModulesForbidden: boolean;
  /** Only inject faults on paths matching this regular expression source (default: all). */
  pathPattern?: string;
}

export interface EnvironmentKnobs {
  latency: LatencyKnobs;
  throttling: ThrottlingKnobs;
  faults: FaultKnobs;
  /** Server-driven page size for collections; 0 = one page (the real Metadata service's default). */
  pageSize: number;
  /** Server-driven page size of `/data/<Set>` collections (protocol §1.5: 10,000, the maximum). */
  dataPageSize: number;
  /**
   * Honour `Prefer: odata.maxpagesize=<n>` on collections and answer `Preference-Applied`
   * (undocumented for F&O, so off by default; protocol §1.5).
   */
  honourMaxPageSize?: boolean;
}

export type KnobsPatch = {
  latency?: Partial<LatencyKnobs>;
  throttling?: Partial<ThrottlingKnobs>;
  faults?: Partial<FaultKnobs>;
  pageSize?: number;
  dataPageSize?: number;
  honourMaxPageSize?: boolean;
};

export interface EnvironmentCounters {
  /** Total requests received (authenticated or not). */
  requests: number;
  /** Requests by route name, e.g. `metadata.publicEntities`, `metadata.labels`, `action.GetInstalledModules`, `token`. */
  byRoute: Record<string, number>;
  /** Response body bytes written (after compression). */
  bytesSent: number;
  /** 429 answers sent. */
  throttled: number;
  /** Faults injected (500/503/reset/truncate/stall). */
  faults: number;
  /** 401 answers sent. */
  unauthorized: number;
  /** Highest number of requests in flight at once. */
  maxInFlight: number;
}

/** The generated entity rows under `/data` (protocol §1.3 companies). */
export interface DataOptions {
  /** Rows generated per entity set (default 30), spread over the companies for company-specific entities. */
  rowsPerEntity?: number;
  /** Row counts of particular entity sets, e.g. `{ CustomersV3: 100_000 }` (generated lazily by position). */
  rowsBySet?: Record<string, number>;
  /** Companies (`dataAreaId`, lowercase) of company-specific entities (default `usmf`, `usrt`, `demf`). */
  companies?: string[];
  /** The caller's default company: requests without `cross-company=true` see only it (default `usmf`). */
  defaultCompany?: string;
}

export interface EnvironmentSpec {
  /** Short name, e.g. `dev`, `uat`. */
  name: string;
  /** Upgrade step of the preset's base release: 0 = base, 1 = first upgrade, … */
  release?: number;
  knobs?: KnobsPatch;
  /** Entity data of this environment (merged over `EmulatorOptions.data`). */
  data?: DataOptions;
}

export interface EmulatorOptions {
  preset?: PresetName;
  seed?: number;
  /** A number n creates n environments (`env1`…`envN`) on the base release, or explicit specs. */
  environments?: number | EnvironmentSpec[];
  /** Interface to bind (always loopback). Default 127.0.0.1. */
  host?: string;
  /** Port of the first environment; the others take consecutive ports. Default 0 (ephemeral). */
  port?: number;
  /** Port of the admin listener. Default 0 (ephemeral). */
  adminPort?: number;
  /** Port of the HTTPS token service. Default 0 (ephemeral). */
  tokenPort?: number;
  /** Where the emulator logs (stderr by default, level from D365FO_LOG_LEVEL). */
  logger?: Logger;
  /** Knobs applied to every environment unless its spec overrides them. */
  knobs?: KnobsPatch;
  /** Entity data of every environment (row counts, companies, default company). */
  data?: DataOptions;
  /** Entra tenant id the environments belong to (default: a fixed GUID). */
  tenantId?: string;
  /** Registered app registrations; default: one generated client id + secret. */
  clients?: { clientId: string; clientSecret: string }[];
  /** Access token lifetime in seconds (default: random in 3600..5400 like Entra). */
  tokenLifetimeSeconds?: number;
  /** Extra languages besides en-US (default: ["de-DE"]). */
  languages?: string[];
}

export interface EmulatorEnvironment {
  readonly name: string;
  /** `http://127.0.0.1:<port>`: lowercase, no trailing slash; also the token audience. */
  readonly baseUrl: string;
  /** The release this environment serves now. */
  readonly release: EmulatorRelease;
  /** Current knobs (a copy). */
  knobs(): EnvironmentKnobs;
  /** Changes knobs at run time; applies to requests that start afterwards. */
  setKnobs(patch: KnobsPatch): void;
  counters(): EnvironmentCounters;
  resetCounters(): void;
  /** Moves the environment to another upgrade step of the preset (an in-place upgrade; data is reset). */
  setRelease(upgradeStep: number): Promise<void>;
  /**
   * Forgets every write (created, changed, deleted rows); with `options`, also changes row counts
   * or companies (merged over the current ones).
   */
  resetData(options?: DataOptions): void;
}

export interface EmulatorCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface RunningEmulator {
  readonly environments: readonly EmulatorEnvironment[];
  environment(name: string): EmulatorEnvironment;
  /** Entra-style authority host for `@azure/identity` (`https://127.0.0.1:<port>`). */
  readonly authorityHost: string;
  /** `https://127.0.0.1:<port>/<tenant>/oauth2/v2.0/token`. */
  readonly tokenEndpoint: string;
  readonly credentials: EmulatorCredentials;
  /** PEM of the self-signed certificate the token endpoint serves (trust it in tests). */
  readonly caCertificate: string;
  /**
   * The same PEM written to a file (removed on close), for another process:
   * `NODE_EXTRA_CA_CERTS=<path>` plus `AZURE_AUTHORITY_HOST=<authorityHost>`.
   */
  readonly caCertificatePath: string;
  readonly preset: PresetName;
  readonly seed: number;
  /**
   * Options for `new ClientSecretCredential(tenantId, clientId, secret, options)` that point it at
   * the emulator's authority and trust its certificate.
   */
  credentialOptions(): Record<string, unknown>;
  /**
   * Signs a token the way the token endpoint would (for tests that bypass @azure/identity, or that
   * need a deliberately wrong audience, tenant, client or an expired token).
   */
  issueToken(options?: {
    audience?: string;
    tenantId?: string;
    clientId?: string;
    expiresInSeconds?: number;
  }): Promise<string>;
  /** `http://127.0.0.1:<port>/_emulator`: JSON admin routes (counters, knobs). */
  readonly adminUrl: string;
  close(): Promise<void>;
}
