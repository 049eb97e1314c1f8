/** The data client's public surface: `connect()`, the filter builder, values, errors and types. */
export type {
  BatchBuilder,
  BatchOperationKind,
  BatchResult,
  BatchSendOptions,
  ChangesetBuilder,
  Operation as BatchOperation,
} from "./batch.js";
export { MAX_BATCH_OPERATIONS } from "./batch.js";
export type {
  ActionTarget,
  CallOptions,
  CountOptions,
  DataClient,
  DataClientOptions,
  GetOptions,
  QueryOptions,
  Row,
  WriteOptions,
  WriteResult,
} from "./client.js";
export { type ConnectConfig, connect, type D365Connection } from "./connect.js";
export {
  ConcurrencyConflictError,
  DataValidationError,
  type ValidationProblem,
  type ValidationProblemKind,
} from "./errors.js";
export {
  type ArithmeticOp,
  type CompareOp,
  type Filter,
  type FunctionName,
  f,
  type Operand,
} from "./filter.js";
export type { SchemaLookup, SchemaResolver } from "./resolve.js";
export type { EntitySchema } from "./schema.js";
export { etagOf, type OrderBy, type QueryShape } from "./url.js";
export type { EntityKey } from "./validate.js";
export { type EnumValue, enumValue, type GuidValue, guid, type ODataValue } from "./values.js";
