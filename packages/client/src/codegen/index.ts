/** Code generation: TypeScript types, zod schemas and typed descriptors per environment version. */
export {
  type AnyEntityDescriptor,
  type CreateOf,
  defineEntity,
  type EntityDescriptor,
  type EntityRef,
  type KeyOf,
  type NavigationOf,
  type PayloadSchema,
  type ReadOf,
  type TypedQueryOptions,
  type UpdateOf,
} from "./descriptor.js";
export type { GeneratedFile } from "./emit.js";
export { CodegenDriftError } from "./errors.js";
export {
  type CodegenCheckResult,
  checkGeneratedCode,
  type GenerateCodeOptions,
  type GeneratedCode,
  generateCode,
  listPublicEntities,
  writeGeneratedCode,
} from "./generate.js";
export type { CodegenManifest, DriftChange, DriftKind } from "./manifest.js";
export type { CodegenStamp, EntitySignature } from "./model.js";
