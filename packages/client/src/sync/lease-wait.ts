/**
 * Waiting for a version's sync lease: one downloader per module set across processes. A lease whose
 * owner no longer runs on this machine is taken over at once instead of after its TTL.
 */
import { SyncInProgressError } from "../errors.js";
import type { Logger } from "../logging.js";
import type { MetadataStore } from "../store/types.js";
import { isLeaseOwnerDead } from "./lease.js";
import { type ProgressUpdate, type RunContext, sleep } from "./run.js";
import type { SyncOptions } from "./types.js";

/** What waiting for a lease uses of the manager. */
export interface LeaseWaitDeps {
  store: MetadataStore;
  logger: Logger;
  leaseTtlMs: number;
  pollIntervalMs: number;
  emitProgress(ctx: RunContext, update: ProgressUpdate): void;
}

/**
 * Takes the version's lease, waiting while another live process holds it. Returns `complete`
 * when the version became complete while waiting (only for strategies that stop there).
 */
export async function acquireVersionLease(
  deps: LeaseWaitDeps,
  ctx: RunContext,
  versionId: number,
  owner: string,
  options: Pick<SyncOptions, "wait" | "waitTimeoutMs">,
): Promise<"acquired" | "complete"> {
  const stopsWhenComplete = ctx.strategy === "full" || ctx.strategy === "entitiesOnly";
  const waitStarted = performance.now();
  let announced = false;
  for (;;) {
    if (await deps.store.tryAcquireSyncLease(versionId, owner, deps.leaseTtlMs)) {
      // Only time spent behind another process counts as waiting, not taking a free lease.
      if (announced) ctx.waitedMs += performance.now() - waitStarted;
      return "acquired";
    }
    const lease = await deps.store.getSyncLease(versionId);
    if (lease && isLeaseOwnerDead(lease.owner)) {
      // Its owner was killed on this machine: take over now instead of after the TTL.
      deps.logger.warn({ versionId }, "taking over the sync lease of a process that no longer runs");
      await deps.store.releaseSyncLease(versionId, lease.owner);
      continue;
    }
    if (options.wait === false) {
      throw new SyncInProgressError(
        `Another process is syncing this environment's version (${ctx.version?.versionHash ?? versionId}); try again later or wait for it`,
      );
    }
    const waited = performance.now() - waitStarted;
    if (options.waitTimeoutMs !== undefined && waited >= options.waitTimeoutMs) {
      throw new SyncInProgressError(
        `Another process is still syncing this environment's version after waiting ${Math.round(waited)} ms`,
      );
    }
    if (!announced) {
      announced = true;
      deps.logger.info({ versionId }, "waiting for another process that syncs the same version");
    }
    deps.emitProgress(ctx, {
      step: "detect",
      done: 0,
      total: null,
      estimator: null,
      waiting: true,
    });
    await sleep(deps.pollIntervalMs, ctx.signal);
    if (stopsWhenComplete && (await deps.store.getVersion(versionId))?.status === "complete") {
      ctx.waitedMs += performance.now() - waitStarted;
      return "complete";
    }
  }
}
