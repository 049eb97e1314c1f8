/**
 * Sync lease ownership across processes. The store holds the lease (so it works across processes
 * and survives crashes by expiring); this file names owners and keeps a held lease alive.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { MetadataStore } from "../store/types.js";

export interface LeaseOwner {
  host: string;
  pid: number;
  nonce: string;
}

/** `<host>|<pid>|<nonce>`: unique per sync, and tells a waiter on the same host which process holds it. */
export function createLeaseOwner(pid = process.pid, host = hostname()): string {
  return `${host}|${pid}|${randomUUID()}`;
}

export function parseLeaseOwner(owner: string): LeaseOwner | null {
  const parts = owner.split("|");
  if (parts.length !== 3) return null;
  const pid = Number(parts[1]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return { host: parts[0], pid, nonce: parts[2] };
}

/** True when `pid` names no running process on this machine (EPERM means it exists). */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * A lease whose owner is a dead process on this host can be taken over at once instead of after
 * its expiry (a SIGKILLed sync would otherwise block the next one for a whole TTL). Owners on
 * other hosts, or with a live (possibly reused) pid, are left to expire.
 */
export function isLeaseOwnerDead(owner: string, host = hostname()): boolean {
  const parsed = parseLeaseOwner(owner);
  if (!parsed || parsed.host !== host) return false;
  if (parsed.pid === process.pid) return false;
  return isProcessGone(parsed.pid);
}

/**
 * Renews a held lease every third of its TTL. When a renewal fails (the lease expired and another
 * process took it over, e.g. after this process was suspended), `onLost` is called once so the
 * sync stops writing into a version it no longer owns. Renewals never overlap: the next one is
 * scheduled when the previous one has settled (a slow store must not stack renewals up).
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lost = false;
  private released = false;
  /** The renewal in flight, so `release` does not race it. */
  private inFlight: Promise<boolean> | undefined;

  constructor(
    private readonly store: MetadataStore,
    readonly versionId: number,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly onLost: () => void,
  ) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  /** Renews now; resolves false (and reports the loss) if the lease is no longer ours. */
  renew(): Promise<boolean> {
    if (this.lost || this.released) return Promise.resolve(false);
    // Two renewals at once would be one too many round trips, never a different answer.
    this.inFlight ??= this.renewOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  get isLost(): boolean {
    return this.lost;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async release(): Promise<void> {
    this.stop();
    await this.inFlight;
    if (this.lost || this.released) return;
    this.released = true;
    try {
      await this.store.releaseSyncLease(this.versionId, this.owner);
    } catch {
      // Releasing is best effort: an unreleased lease expires.
    }
  }

  private schedule(): void {
    if (!this.running || this.lost) return;
    const interval = Math.max(10, Math.floor(this.ttlMs / 3));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.renew().then(() => this.schedule());
    }, interval);
    this.timer.unref();
  }

  private async renewOnce(): Promise<boolean> {
    let ok = false;
    try {
      ok = await this.store.renewSyncLease(this.versionId, this.owner, this.ttlMs);
    } catch {
      // A busy or closed store: treat like a lost lease, the sync cannot safely continue.
      ok = false;
    }
    if (!ok && !this.lost) {
      this.lost = true;
      this.stop();
      this.onLost();
    }
    return ok;
  }
}
