/**
 * What a route handler sees and returns. Handlers never touch the socket: the HTTP pipeline and
 * `$batch` (which dispatches each operation to the same handlers) both build a `ServiceRequest`
 * and send the `Reply`.
 */
import type { EnvironmentKnobs } from "../../api.js";
import type { DataStore } from "../data/store.js";
import type { WriteValidator } from "../data/writes.js";
import type { ReleaseDocuments } from "../release-documents.js";
import type { Route } from "../routes.js";
import type { ResponseBody } from "../send.js";

export interface Reply {
  status: number;
  body: ResponseBody;
  headers?: Record<string, string | number>;
  contentType?: string;
}

export interface ServiceRequest<R extends Route = Route> {
  method: string;
  url: URL;
  route: R;
  /** A request header (lowercase name), if present. */
  header(name: string): string | undefined;
  body?: Buffer;
}

export interface ThrottleVerdict {
  throttled: boolean;
  retryAfterSeconds?: number;
}

export interface ServiceContext {
  /** The environment's origin, `http://127.0.0.1:<port>`. */
  base: string;
  docs: ReleaseDocuments;
  knobs: EnvironmentKnobs;
  store: DataStore;
  writes: WriteValidator;
  countRoute(name: string): void;
  /** One throttling decision for an operation inside `$batch` (protocol §5.3). */
  throttleOperation(): ThrottleVerdict;
  /** A GUID from the environment's seeded randomness (batch boundaries), so runs repeat exactly. */
  newGuid(): string;
  /** Server time of `operations` writes (the `latency.writeMs` knob, ±50%). */
  spendWriteTime(operations: number): Promise<void>;
  /** Routes and handles one request (used by `$batch` for each operation). */
  dispatch(request: ServiceRequest): Promise<Reply>;
}

export type RouteHandler<K extends Route["kind"]> = (
  request: ServiceRequest<Extract<Route, { kind: K }>>,
  context: ServiceContext,
) => Reply | Promise<Reply>;

export type HandlerTable = { [K in Route["kind"]]?: RouteHandler<K> };
