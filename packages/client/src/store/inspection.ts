/**
 * Reaching the test/benchmark-only `StoreInspection` side of a store without putting it on the
 * production `MetadataStore` port.
 */
import { ConfigurationError } from "../errors.js";
import type { MetadataStore, StoreInspection } from "./types.js";

function hasInspection(store: MetadataStore): store is MetadataStore & StoreInspection {
  return typeof (store as Partial<StoreInspection>).countMetadataRows === "function";
}

/** The store's inspection interface; throws a `ConfigurationError` when its backend has none. */
export function inspectStore(store: MetadataStore): StoreInspection {
  if (!hasInspection(store)) {
    throw new ConfigurationError("This metadata store backend offers no inspection (countMetadataRows)");
  }
  return store;
}
