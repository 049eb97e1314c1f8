export {
  ALL_SEARCH_KINDS,
  DEFAULT_SEARCH_KINDS,
  DEFAULT_SEARCH_LIMIT,
  type EngineSearchOptions,
  type EngineSearchResult,
  type ExplainedHit,
  foldHits,
  MAX_SEARCH_LIMIT,
  VersionAwareSearchEngine,
  type VersionAwareSearchEngineOptions,
} from "./engine.js";
export {
  describeMatch,
  MAX_QUERY_LENGTH,
  MAX_TERM_LENGTH,
  MAX_TERMS,
  MIN_PREFIX_LENGTH,
  type ParsedQuery,
  type ParseOptions,
  parseSearchText,
  splitIdentifier,
} from "./query.js";
