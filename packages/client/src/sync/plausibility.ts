/**
 * Is a downloaded version plausible enough to publish? A gateway answering `{"value":[]}`, a
 * half-deployed environment, or a filter gone wrong yields a "complete" version with no data
 * entities; published, it would be served instead of the good one. Pure: counts in, verdict out.
 */
import { type ImplausibleCount, ImplausibleMetadataError } from "../errors.js";

export interface CollectionCounts {
  dataEntities: number;
  publicEntities: number;
  enumerations: number;
}

/** A collection this big in the previous version is "thousands": shrinking below the floor is implausible. */
export const SHRINK_BASELINE = 1_000;
/** Fraction of the previous count below which a big collection counts as collapsed. */
export const SHRINK_FLOOR = 0.1;

const NAMES: Record<keyof CollectionCounts, string> = {
  dataEntities: "DataEntities",
  publicEntities: "PublicEntities",
  enumerations: "PublicEnumerations",
};

/**
 * The implausible counts of `counts` (empty when plausible): any collection that is empty (every
 * F&O environment has thousands of each), or one that shrank below 10 % of a previous count of
 * at least 1,000 (an upgrade adds and removes a few percent, never nine tenths).
 */
export function implausibleCounts(counts: CollectionCounts, previous?: CollectionCounts): ImplausibleCount[] {
  const found: ImplausibleCount[] = [];
  for (const key of Object.keys(NAMES) as (keyof CollectionCounts)[]) {
    const count = counts[key];
    const before = previous?.[key];
    const collapsed = before !== undefined && before >= SHRINK_BASELINE && count < before * SHRINK_FLOOR;
    if (count === 0 || collapsed) {
      found.push({ collection: NAMES[key], count, ...(before !== undefined ? { previous: before } : {}) });
    }
  }
  return found;
}

/** Throws ImplausibleMetadataError (saying why) unless the counts are plausible or `force` is set. */
export function assertPlausible(
  counts: CollectionCounts,
  previous: CollectionCounts | undefined,
  options: { force?: boolean; modulesHash?: string } = {},
): void {
  if (options.force) return;
  const found = implausibleCounts(counts, previous);
  if (found.length === 0) return;
  const why = found
    .map((c) =>
      c.previous === undefined
        ? `${c.collection}: ${c.count}`
        : `${c.collection}: ${c.count} (the last good version had ${c.previous})`,
    )
    .join(", ");
  throw new ImplausibleMetadataError(
    `The downloaded metadata is implausible (${why}), so it was not published; the last good version is still served. Sync again later, or with force if the environment really has this little`,
    found,
  );
}
