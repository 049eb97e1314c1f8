export {
  ALL_SEARCH_KINDS,
  DEFAULT_SEARCH_KINDS,
  DEFAULT_SEARCH_LIMIT,
  type EngineSearchOptions,
  type EngineSearchResult,
  type ExplainedHit,
  MAX_SEARCH_LIMIT,
  VersionAwareSearchEngine,
  type VersionAwareSearchEngineOptions,
} from "./engine.js";
export {
  describeMatch,
  MAX_QUERY_LENGTH,
  MAX_TERM_LENGTH,
  MAX_TERMS,
  type ParsedQuery,
  type ParseOptions,
  parseSearchText,
  splitIdentifier,
} from "./query.js";
