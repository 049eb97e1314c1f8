export {
  assertTransportSecurity,
  type ClientConfig,
  createCredential,
  isLoopbackHost,
  normalizeBaseUrl,
  resolveClientConfig,
} from "./config.js";
export { scopeFor, scrubSecrets, TokenProvider, type TokenProviderOptions } from "./token-provider.js";
