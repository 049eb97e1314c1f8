/**
 * An Entra-style token service on its own HTTPS listener: the v2 and v1 client-credentials token
 * endpoints, the OpenID discovery documents MSAL reads, instance discovery, and the JWKS. Errors use
 * Entra's JSON shape and AADSTS codes (protocol §4.2).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "d365fo-client";
import type { EmulatorKeys } from "./keys.js";
import { signAccessToken } from "./tokens.js";

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
}

export interface TokenServiceOptions {
  host: string;
  port: number;
  tenantId: string;
  clients: readonly RegisteredClient[];
  keys: EmulatorKeys;
  /** Fixed lifetime, or undefined for Entra's random 3600..5400 s. */
  lifetimeSeconds?: number;
  /** Environment base URLs that exist as resources (compared case-insensitively). */
  resources: () => readonly string[];
  /** Called for each token issued, with the resource (audience) it was issued for. */
  onTokenIssued: (resource: string) => void;
  random: () => number;
  logger: Logger;
}

const MAX_FORM_BYTES = 64 * 1024;

interface EntraErrorSpec {
  status: number;
  error: string;
  code: number;
  description: string;
}

export class TokenService {
  private server?: Server;
  private origin = "";

  constructor(private readonly options: TokenServiceOptions) {}

  /** `https://127.0.0.1:<port>`. */
  get authorityHost(): string {
    return this.origin;
  }

  get tokenEndpoint(): string {
    return `${this.origin}/${this.options.tenantId}/oauth2/v2.0/token`;
  }

  /** The `iss` of issued tokens; equals the discovery document's issuer. */
  get issuer(): string {
    return `${this.origin}/${this.options.tenantId}/v2.0`;
  }

  async start(): Promise<void> {
    const server = createServer(
      { key: this.options.keys.tlsKey, cert: this.options.keys.tlsCert },
      (req, res) => {
        this.handle(req, res).catch((error: unknown) => {
          this.options.logger.error({ err: error }, "token service request failed");
          if (!res.headersSent)
            this.json(res, 500, { error: "server_error", error_description: "Internal error" });
          else res.destroy();
        });
      },
    );
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.origin = `https://${this.options.host}:${port}`;
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

  lifetime(): number {
    return this.options.lifetimeSeconds ?? 3600 + Math.floor(this.options.random() * 1800);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const segments = url.pathname.split("/").filter((s) => s !== "");
    const tenant = segments[0] ?? "";
    const rest = segments.slice(1).join("/");

    if (tenant === "common" && rest === "discovery/instance" && req.method === "GET") {
      return this.instanceDiscovery(res, url);
    }
    if (
      req.method === "GET" &&
      (rest === "v2.0/.well-known/openid-configuration" || rest === ".well-known/openid-configuration")
    ) {
      if (!this.knownTenant(tenant)) return this.entraError(res, this.tenantNotFound(tenant));
      return this.json(res, 200, this.openIdConfiguration(tenant, rest.startsWith("v2.0")));
    }
    if (req.method === "GET" && (rest === "discovery/v2.0/keys" || rest === "discovery/keys")) {
      return this.json(res, 200, { keys: [this.options.keys.publicJwk] });
    }
    if (rest === "oauth2/v2.0/token" || rest === "oauth2/token") {
      if (req.method !== "POST") {
        return this.entraError(res, {
          status: 405,
          error: "invalid_request",
          code: 900561,
          description: "The endpoint only accepts POST requests.",
        });
      }
      if (!this.knownTenant(tenant)) return this.entraError(res, this.tenantNotFound(tenant));
      return this.token(req, res, rest === "oauth2/v2.0/token");
    }
    this.json(res, 404, { error: "not_found", error_description: "The requested resource was not found." });
  }

  private knownTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.options.tenantId.toLowerCase();
  }

  private tenantNotFound(tenant: string): EntraErrorSpec {
    return {
      status: 400,
      error: "invalid_request",
      code: 90002,
      description: `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    };
  }

  private openIdConfiguration(tenant: string, v2: boolean): Record<string, unknown> {
    const base = `${this.origin}/${tenant}`;
    return {
      token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: v2 ? `${base}/v2.0` : `${base}/`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.origin}/oidc/userinfo`,
      authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "NA",
      cloud_instance_name: "emulator.local",
      cloud_graph_host_name: "graph.emulator.local",
      msgraph_host: "graph.emulator.local",
    };
  }

  private instanceDiscovery(res: ServerResponse, url: URL): void {
    const host = new URL(this.origin).host;
    this.json(res, 200, {
      tenant_discovery_endpoint: `${this.origin}/${this.options.tenantId}/v2.0/.well-known/openid-configuration`,
      "api-version": url.searchParams.get("api-version") ?? "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, v2: boolean): Promise<void> {
    const contentType = req.headers["content-type"] ?? "";
    const body = await readBody(req);
    if (body === undefined || !contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return this.entraError(res, {
        status: 400,
        error: "invalid_request",
        code: 900144,
        description: "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
      });
    }
    const form = new URLSearchParams(body);
    let clientId = form.get("client_id") ?? undefined;
    let clientSecret = form.get("client_secret") ?? undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        clientId ??= decodeURIComponent(decoded.slice(0, colon));
        clientSecret ??= decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    const grantType = form.get("grant_type");
    if (!grantType) {
      return this.entraError(res, {
        status: 400,
        error: "invalid_request",
        code: 900144,
        description: "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
      });
    }
    if (grantType !== "client_credentials") {
      return this.entraError(res, {
        status: 400,
        error: "unsupported_grant_type",
        code: 70003,
        description: `AADSTS70003: The app requested an unsupported grant type '${grantType}'. The emulator supports client_credentials only.`,
      });
    }
    if (!clientId) {
      return this.entraError(res, {
        status: 400,
        error: "invalid_request",
        code: 900144,
        description: "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
      });
    }
    const client = this.options.clients.find((c) => c.clientId === clientId);
    if (!client) {
      return this.entraError(res, {
        status: 400,
        error: "unauthorized_client",
        code: 700016,
        description: `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.options.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      });
    }
    if (!clientSecret) {
      return this.entraError(res, {
        status: 401,
        error: "invalid_client",
        code: 7000218,
        description:
          "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      });
    }
    if (clientSecret !== client.clientSecret) {
      return this.entraError(res, {
        status: 401,
        error: "invalid_client",
        code: 7000215,
        description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      });
    }
    const requested = v2 ? scopeResource(form.get("scope")) : form.get("resource");
    if (!requested) {
      return this.entraError(res, {
        status: 400,
        error: v2 ? "invalid_scope" : "invalid_request",
        code: v2 ? 1002012 : 50001,
        description: v2
          ? "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
          : "AADSTS50001: The request body must contain the parameter 'resource'.",
      });
    }
    const known = this.options.resources().some((r) => normaliseResource(r) === normaliseResource(requested));
    if (!known) {
      return this.entraError(res, {
        status: 400,
        error: "invalid_resource",
        code: 500011,
        description: `AADSTS500011: The resource principal named ${requested} was not found in the tenant named ${this.options.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      });
    }
    const lifetime = this.lifetime();
    const now = Math.floor(Date.now() / 1000);
    // Entra puts the resource as requested into `aud`; F&O then rejects a trailing slash or upper
    // case (protocol §4.2, §4.4), which is exactly the mistake clients must not make.
    const accessToken = await signAccessToken(
      {
        audience: requested,
        tenantId: this.options.tenantId,
        clientId,
        issuer: this.issuer,
        lifetimeSeconds: lifetime,
        tokenId: randomUUID(),
        issuedAt: now,
      },
      this.options.keys.signingKey,
      this.options.keys.kid,
    );
    this.options.onTokenIssued(requested);
    this.options.logger.debug({ clientId, resource: requested, lifetime }, "token issued");
    if (v2) {
      return this.json(res, 200, {
        token_type: "Bearer",
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
      });
    }
    this.json(res, 200, {
      token_type: "Bearer",
      expires_in: String(lifetime),
      ext_expires_in: String(lifetime),
      expires_on: String(now + lifetime),
      not_before: String(now),
      resource: requested,
      access_token: accessToken,
    });
  }

  private entraError(res: ServerResponse, spec: EntraErrorSpec): void {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, "Z");
    this.json(res, spec.status, {
      error: spec.error,
      error_description: `${spec.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [spec.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.origin}/error?code=${spec.code}`,
    });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": data.length,
      "Cache-Control": "no-store, no-cache",
      Pragma: "no-cache",
      "x-ms-request-id": randomUUID(),
    });
    res.end(data);
  }
}

/** `https://env/.default` → `https://env` (the v2 scope names the resource). */
function scopeResource(scope: string | null): string | undefined {
  if (!scope) return undefined;
  const parts = scope.split(/\s+/).filter((p) => p !== "");
  const resourceScopes = parts.filter((p) => p.endsWith("/.default"));
  if (resourceScopes.length !== 1) return undefined;
  return resourceScopes[0].slice(0, -"/.default".length);
}

function normaliseResource(resource: string): string {
  return resource.toLowerCase().replace(/\/+$/, "");
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
