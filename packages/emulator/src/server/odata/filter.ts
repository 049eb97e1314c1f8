/**
 * `$filter`: tokenizer (filter-tokens.ts) → parser (AST, filter-parse.ts) → type check against a
 * property schema and evaluation (filter-eval.ts). Two dialects:
 * - `metadata` (protocol §2.5): `eq`/`ne` on strings, booleans, `null` and namespaced enum
 *   literals, `and`/`or`/`not`, parentheses, `tolower()`/`toupper()`/`trim()`,
 *   `contains()`/`startswith()`/`endswith()`; strings compare case-sensitively.
 * - `data` (protocol §1.2, `/data/<Set>`): `eq ne gt ge lt le`, `and or not`, `add sub mul div
 *   divby mod`, unquoted DateTimeOffset and GUID literals, enums by `eq`/`ne` only, the wildcard
 *   form `Name eq '*retail*'`; string comparisons are case-insensitive (SQL Server collation);
 *   `in`/`has` and the string functions are rejected (a 400 on the real service).
 * Everything outside a dialect is an `ODataQueryError` (the server answers 400).
 */
export { ODataQueryError } from "./errors.js";
export {
  compileFilter,
  type FilterOptions,
  type FilterPredicate,
  type PropertySchema,
  type PropertyType,
} from "./filter-eval.js";
export {
  type ArithmeticOp,
  type CompareOp,
  type FilterNode,
  FUNCTIONS,
  type FunctionName,
  parseFilter,
} from "./filter-parse.js";
export { type FilterDialect, type Token, tokenize } from "./filter-tokens.js";
