export { MetadataCacheV2 } from "./metadata-cache.js";
export type * from "./types.js";
