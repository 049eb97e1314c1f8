/**
 * d365fo-client: the public surface. Internals are not exported; the emulator lives at the
 * `d365fo-client/emulator` subpath. This entry point must not load CLI-only packages.
 */
export * from "./errors.js";
export type * from "./metadata/models.js";
export {
  computeModulesHash,
  EnvironmentVersionInfo,
  ModuleParseError,
  ModuleVersionInfo,
} from "./version/models.js";
