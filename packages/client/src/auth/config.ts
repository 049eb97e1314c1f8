/**
 * Client configuration: from explicit values and/or the `D365FO_*` environment variables, validated
 * with zod. Errors name the bad field, never its value (it may be a secret).
 */
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { z } from "zod";
import { registerSecret } from "../errors/secrets.js";
import { ConfigurationError, InsecureTransportError } from "../errors.js";
import { StaticTokenCredential } from "./static-token.js";

/** The F&O web-client and OData paths are not part of an environment's base URL. */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ConfigurationError(
      `Base URL is not a valid absolute URL: ${JSON.stringify(url.slice(0, 200))}`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigurationError(`Base URL must use https (or http on loopback), got ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) {
    throw new ConfigurationError("Base URL must not contain credentials");
  }
  // Query (`?cmp=USMF&mi=…` from a pasted web-client URL) and fragment never belong to the base URL.
  const path = parsed.pathname.replace(/\/+$/, "");
  return `${parsed.protocol}//${parsed.host}${path}`.toLowerCase();
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith(".localhost");
}

/** Plain http is only for loopback (the emulator) unless the caller insists. */
export function assertTransportSecurity(baseUrl: string, allowInsecureHttp = false): void {
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    throw new InsecureTransportError(
      `Refusing plain http to ${url.host}: tokens would travel unencrypted. Use https, or set allowInsecureHttp for a trusted network`,
    );
  }
}

/**
 * An authority host must be https, loopback included: @azure/identity refuses anything else with
 * a plain `Error` from inside the credential's constructor, which would read as a bug.
 */
export function assertAuthorityHost(authorityHost: string | undefined): void {
  if (authorityHost === undefined) return;
  let url: URL;
  try {
    url = new URL(authorityHost);
  } catch {
    throw new ConfigurationError("authorityHost must be an absolute URL");
  }
  if (url.protocol !== "https:") {
    throw new InsecureTransportError(
      `Refusing authority host ${url.host} over ${url.protocol.replace(":", "")}: the identity provider must be reached over https (the client secret would travel unencrypted)`,
    );
  }
}

export interface ClientConfig {
  /** Normalised: lowercase, no trailing slash, no query. */
  baseUrl: string;
  clientId?: string;
  /** Non-enumerable on resolved configs, so it does not show up in JSON or inspect output. */
  clientSecret?: string;
  tenantId?: string;
  /** Entra authority, e.g. the emulator's `https://127.0.0.1:<port>`. */
  authorityHost?: string;
  disableInstanceDiscovery?: boolean;
  /** Extra options passed to the @azure/identity credential constructor. */
  credentialOptions?: Record<string, unknown>;
  /** Use this credential instead of building one. */
  credential?: TokenCredential;
  /**
   * A bearer token the caller already has (`D365FO_ACCESS_TOKEN`): used as is, never refreshed.
   * Non-enumerable on resolved configs, like the secret.
   */
  accessToken?: string;
  /** Allow http:// to non-loopback hosts (never needed for D365 online). */
  allowInsecureHttp?: boolean;
}

/**
 * An Entra tenant id: a GUID or a domain name (`contoso.onmicrosoft.com`), as DNS labels of
 * letters, digits and inner hyphens. Anything else (spaces, quotes, SQL text, a URL) is refused
 * before it reaches a token endpoint URL.
 */
export function isValidTenantId(value: string): boolean {
  const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  return value.length <= 253 && new RegExp(`^${label}(?:\\.${label})*$`).test(value);
}

const optionalText = z
  .string()
  .trim()
  .min(1)
  .optional()
  .or(z.literal("").transform(() => undefined));

const credentialSchema = z.custom<TokenCredential>(
  (value) => !!value && typeof (value as TokenCredential).getToken === "function",
  { message: "must be a TokenCredential (an object with getToken)" },
);

const configSchema = z.object({
  baseUrl: z.string({ message: "is required (set D365FO_BASE_URL or pass baseUrl)" }).trim().min(1, {
    message: "is required (set D365FO_BASE_URL or pass baseUrl)",
  }),
  clientId: optionalText,
  clientSecret: optionalText,
  accessToken: optionalText,
  tenantId: optionalText.refine((v) => v === undefined || isValidTenantId(v), {
    message: "must be a tenant GUID or domain name",
  }),
  authorityHost: z.url({ message: "must be an absolute URL" }).optional(),
  disableInstanceDiscovery: z.boolean().optional(),
  credentialOptions: z.record(z.string(), z.unknown()).optional(),
  credential: credentialSchema.optional(),
  allowInsecureHttp: z.boolean().optional(),
});

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Merges `partial` over the environment variables `D365FO_BASE_URL`, `D365FO_CLIENT_ID`,
 * `D365FO_CLIENT_SECRET`, `D365FO_TENANT_ID`, `D365FO_ACCESS_TOKEN`, validates and normalises.
 * The secret and the token are registered with the scrubber before anything can fail.
 */
export function resolveClientConfig(
  partial: Partial<ClientConfig> = {},
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): ClientConfig {
  const merged = {
    baseUrl: env.D365FO_BASE_URL,
    clientId: env.D365FO_CLIENT_ID,
    clientSecret: env.D365FO_CLIENT_SECRET,
    tenantId: env.D365FO_TENANT_ID,
    accessToken: env.D365FO_ACCESS_TOKEN,
    ...definedOnly(partial),
  };
  for (const secret of [merged.clientSecret, merged.accessToken]) {
    if (typeof secret === "string") registerSecret(secret.trim());
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "config"} ${issue.message}`,
    );
    throw new ConfigurationError(`Invalid d365fo-client configuration: ${problems.join("; ")}`);
  }
  const data = result.data;
  const baseUrl = normalizeBaseUrl(data.baseUrl);
  assertTransportSecurity(baseUrl, data.allowInsecureHttp);
  assertAuthorityHost(data.authorityHost);
  if (data.clientSecret && !data.credential && (!data.clientId || !data.tenantId)) {
    const missing = [
      !data.clientId && "clientId (D365FO_CLIENT_ID)",
      !data.tenantId && "tenantId (D365FO_TENANT_ID)",
    ]
      .filter(Boolean)
      .join(" and ");
    throw new ConfigurationError(`A client secret was given but ${missing} is missing`);
  }
  const config: ClientConfig = definedOnly({
    baseUrl,
    clientId: data.clientId,
    tenantId: data.tenantId,
    authorityHost: data.authorityHost,
    disableInstanceDiscovery: data.disableInstanceDiscovery,
    credentialOptions: data.credentialOptions,
    credential: data.credential,
    allowInsecureHttp: data.allowInsecureHttp,
  }) as ClientConfig;
  if (data.clientSecret) {
    Object.defineProperty(config, "clientSecret", { value: data.clientSecret, enumerable: false });
  }
  if (data.accessToken) {
    Object.defineProperty(config, "accessToken", { value: data.accessToken, enumerable: false });
  }
  return config;
}

/**
 * The credential for a config: the one passed in; the access token when one is given;
 * ClientSecretCredential when a secret is given; otherwise DefaultAzureCredential (managed
 * identity, Azure CLI, environment, …).
 */
export function createCredential(config: ClientConfig): TokenCredential {
  if (config.credential) return config.credential;
  if (config.accessToken) return new StaticTokenCredential(config.accessToken);
  registerSecret(config.clientSecret);
  assertAuthorityHost(config.authorityHost);
  const common = definedOnly({
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
  });
  if (config.clientSecret) {
    if (!config.clientId || !config.tenantId) {
      throw new ConfigurationError("ClientSecretCredential needs clientId and tenantId");
    }
    return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
      ...common,
      ...config.credentialOptions,
    });
  }
  return new DefaultAzureCredential({
    ...common,
    ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    ...(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
    ...config.credentialOptions,
  });
}
