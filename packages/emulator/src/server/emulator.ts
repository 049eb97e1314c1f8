/**
 * `startEmulator`: environments (one listener each), the HTTPS token service, the admin listener,
 * and the credential options that let `@azure/identity` talk to the token service.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError, createLogger } from "d365fo-client";
import type {
  EmulatorCredentials,
  EmulatorEnvironment,
  EmulatorOptions,
  EnvironmentSpec,
  RunningEmulator,
} from "../api.js";
import type { PresetName } from "../model/types.js";
import { AdminServer } from "./admin.js";
import { emulatorKeys } from "./auth/keys.js";
import { TokenService } from "./auth/token-service.js";
import { signAccessToken } from "./auth/tokens.js";
import { EnvironmentServer } from "./environment.js";
import { applyKnobsPatch, DEFAULT_KNOBS, parseDataOptions } from "./knobs.js";
import { createRandom, deriveSeed, randomGuid } from "./random.js";
import type { ReleaseSource } from "./release-documents.js";

export const DEFAULT_TENANT_ID = "7e1d3c5a-0f2b-4d6e-9a8c-1b2d3e4f5a6b";
export const DEFAULT_SEED = 42;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

function environmentSpecs(option: EmulatorOptions["environments"]): EnvironmentSpec[] {
  if (option === undefined) return [{ name: "env1" }];
  if (typeof option === "number") {
    if (!Number.isInteger(option) || option < 1 || option > 64) {
      throw new ConfigurationError(`environments must be an integer from 1 to 64, got ${option}`);
    }
    return Array.from({ length: option }, (_, i) => ({ name: `env${i + 1}` }));
  }
  if (option.length === 0) throw new ConfigurationError("environments must not be empty");
  const names = new Set<string>();
  for (const spec of option) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(spec.name)) {
      throw new ConfigurationError(`Invalid environment name '${spec.name}' (letters, digits, '-' and '_')`);
    }
    if (names.has(spec.name)) throw new ConfigurationError(`Duplicate environment name '${spec.name}'`);
    names.add(spec.name);
    if (spec.release !== undefined && (!Number.isInteger(spec.release) || spec.release < 0)) {
      throw new ConfigurationError(`Environment '${spec.name}': release must be a non-negative integer`);
    }
  }
  return option;
}

function checkPort(name: string, port: number | undefined): number {
  if (port === undefined) return 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigurationError(`${name} must be a port number`);
  return port;
}

/**
 * Starts an emulator whose releases come from `source`. `startEmulator` (index.ts) passes the
 * generator; the server's unit tests pass a fixture.
 */
export async function startEmulatorWith(
  options: EmulatorOptions,
  sourceFor: (preset: PresetName, seed: number, languages: readonly string[]) => ReleaseSource,
): Promise<RunningEmulator> {
  const preset: PresetName = options.preset ?? "tiny";
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new ConfigurationError(`seed must be an integer, got ${seed}`);
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) throw new ConfigurationError(`The emulator binds loopback only, not '${host}'`);
  const listenHost = host === "localhost" ? "127.0.0.1" : host;
  const logger = options.logger ?? createLogger({ name: "d365fo-emulator" });
  const specs = environmentSpecs(options.environments);
  const languages = options.languages ?? ["de-DE"];
  const source = sourceFor(preset, seed, languages);
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const idRandom = createRandom(deriveSeed(seed, "credentials"));
  const clients = options.clients?.length
    ? options.clients.map((c) => ({ ...c }))
    : [{ clientId: randomGuid(idRandom), clientSecret: `emu~${randomGuid(idRandom).replaceAll("-", "")}` }];
  const clientIds = new Set(clients.map((c) => c.clientId));
  if (options.tokenLifetimeSeconds !== undefined && !(options.tokenLifetimeSeconds > 0)) {
    throw new ConfigurationError("tokenLifetimeSeconds must be positive");
  }
  const firstPort = checkPort("port", options.port);
  const adminPort = checkPort("adminPort", options.adminPort);
  const tokenPort = checkPort("tokenPort", options.tokenPort);
  const baseKnobs = applyKnobsPatch(DEFAULT_KNOBS, options.knobs);

  const keys = await emulatorKeys();
  const environments = specs.map(
    (spec, i) =>
      new EnvironmentServer({
        name: spec.name,
        host: listenHost,
        port: firstPort === 0 ? 0 : firstPort + i,
        seed,
        upgradeStep: spec.release ?? 0,
        knobs: applyKnobsPatch(baseKnobs, spec.knobs),
        data: { ...parseDataOptions(options.data), ...parseDataOptions(spec.data) },
        source,
        auth: () => ({ verifyKey: keys.verifyKey, tenantId, clientIds }),
        logger,
      }),
  );
  const tokenService = new TokenService({
    host: listenHost,
    port: tokenPort,
    tenantId,
    clients,
    keys,
    lifetimeSeconds: options.tokenLifetimeSeconds,
    resources: () => environments.map((e) => e.baseUrl),
    onTokenIssued: (resource) => {
      const normalised = resource.toLowerCase().replace(/\/+$/, "");
      environments.find((e) => e.baseUrl === normalised)?.countToken();
    },
    random: createRandom(deriveSeed(seed, "token-lifetimes")),
    logger,
  });
  const admin = new AdminServer(() => environments, logger);
  const started: { close(): Promise<void> }[] = [];
  let caDir: string | undefined;
  try {
    for (const env of environments) {
      await env.start();
      started.push(env);
    }
    await tokenService.start();
    started.push(tokenService);
    await admin.start(listenHost, adminPort);
    started.push(admin);
    caDir = mkdtempSync(join(tmpdir(), "d365fo-emulator-"));
    writeFileSync(join(caDir, "ca.pem"), keys.tlsCert, { mode: 0o644 });
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    if (caDir) rmSync(caDir, { recursive: true, force: true });
    throw error;
  }
  const caCertificatePath = join(caDir, "ca.pem");
  // One object for every request: core-rest-pipeline caches its TLS agent by this identity.
  const tlsSettings = { ca: keys.tlsCert };
  const trustPolicy = {
    name: "d365foEmulatorTrust",
    sendRequest: (request: { tlsSettings?: unknown }, next: (request: unknown) => Promise<unknown>) => {
      request.tlsSettings = tlsSettings;
      return next(request);
    },
  };
  const credentials: EmulatorCredentials = {
    tenantId,
    clientId: clients[0].clientId,
    clientSecret: clients[0].clientSecret,
  };
  let closed = false;
  logger.info(
    { environments: environments.map((e) => ({ name: e.name, baseUrl: e.baseUrl, release: e.release.id })) },
    "emulator started",
  );

  const running: RunningEmulator = {
    environments,
    preset,
    seed,
    environment(name: string): EmulatorEnvironment {
      const env = environments.find((e) => e.name === name);
      if (!env) throw new ConfigurationError(`Unknown emulator environment '${name}'`);
      return env;
    },
    authorityHost: tokenService.authorityHost,
    tokenEndpoint: tokenService.tokenEndpoint,
    credentials,
    caCertificate: keys.tlsCert,
    caCertificatePath,
    credentialOptions() {
      return {
        authorityHost: tokenService.authorityHost,
        // The emulator is not a known Microsoft cloud; MSAL must not ask login.microsoftonline.com.
        disableInstanceDiscovery: true,
        additionalPolicies: [{ policy: trustPolicy, position: "perCall" }],
      };
    },
    async issueToken(request = {}) {
      return signAccessToken(
        {
          audience: request.audience ?? environments[0].baseUrl,
          tenantId: request.tenantId ?? tenantId,
          clientId: request.clientId ?? clients[0].clientId,
          issuer: tokenService.issuer,
          lifetimeSeconds: request.expiresInSeconds ?? tokenService.lifetime(),
          tokenId: randomGuid(Math.random),
        },
        keys.signingKey,
        keys.kid,
      );
    },
    adminUrl: admin.url,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...environments.map((e) => e.close()), tokenService.close(), admin.close()]);
      rmSync(caDir!, { recursive: true, force: true });
      logger.info("emulator closed");
    },
  };
  return running;
}
