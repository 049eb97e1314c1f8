export {
  assertAuthorityHost,
  assertTransportSecurity,
  type ClientConfig,
  createCredential,
  isLoopbackHost,
  isValidTenantId,
  normalizeBaseUrl,
  resolveClientConfig,
} from "./config.js";
export { jwtExpiry, StaticTokenCredential } from "./static-token.js";
export { scopeFor, scrubSecrets, TokenProvider, type TokenProviderOptions } from "./token-provider.js";
