/**
 * `d365fo-client/backend`: what a metadata store backend needs beyond the public surface. The
 * store contract (`MetadataStore` and its records), and the pieces every backend must share with
 * the embedded SQLite one so that versions stay interchangeable between backends: content hashes,
 * the stored definition document, and the one identifier splitter behind search. `@d365fo/postgres`
 * is built on it; a further backend would be too.
 */

// The records a store keeps, so a backend needs only this entry point and the root.
export type * from "./metadata/models.js";
export {
  hashDataEntity,
  hashEnumeration,
  VersionContentHasher,
} from "./store/content-hash.js";
export { decodePublicEntity, encodePublicEntity, hashDocument } from "./store/definition-document.js";
export {
  checkSearchQuery,
  identifierIndexWords,
  meaningfulTerms,
  nameKey,
  splitIdentifierWords,
} from "./store/search-terms.js";
export type * from "./store/types.js";
export { VERSION_TRUSTS } from "./store/types.js";
export type {
  EnvironmentVersionInfo,
  EnvironmentVersionInfoInit,
  ModuleVersionInfo,
  ModuleVersionInfoJson,
} from "./version/models.js";
