/**
 * Labels resolved while the entity phases still download (issue 13's overlap). Label ids are
 * known as soon as the data entities and each public-entity window are stored, so instead of
 * waiting for the last collection, passes of `syncLabels` run whenever definitions were written
 * and the previous pass is done: each asks for the labels the stored definitions use that are
 * neither stored nor asked yet. After the entity phases, one last pass covers everything and ends
 * the step. Windows, enumerations and labels share the client's limiter: one request budget.
 *
 * Nothing here changes what is stored or when the version is complete: the labels phase is
 * marked complete only after the last pass, so a killed or failed sync resumes as before (the
 * next one lists what is still missing).
 */
import { setMaxListeners } from "node:events";
import { AbortedError } from "../errors.js";
import { type LabelPasses, syncLabels } from "./phases.js";
import { StepRateEstimator } from "./progress.js";
import type { PhaseDeps, RunContext } from "./run.js";

export class EarlyLabels {
  private readonly passes: LabelPasses;
  private readonly stop = new AbortController();
  private pending = false;
  private finishing = false;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: PhaseDeps,
    private readonly ctx: RunContext,
    private readonly versionId: number,
  ) {
    this.passes = {
      asked: new Map(),
      done: 0,
      total: 0,
      estimator: new StepRateEstimator(performance.now()),
      signal: AbortSignal.any([ctx.signal, this.stop.signal]),
      final: false,
    };
    // Every label request in flight listens on it, like on the sync's own signal.
    setMaxListeners(0, this.passes.signal);
  }

  /** Starts the passes; the first one covers what an earlier, interrupted sync stored. */
  start(): void {
    this.pending = true;
    this.running = this.loop();
    // Awaited by `finish` or `abandon`; until then a failure must not count as unhandled.
    this.running.catch(() => {});
  }

  /** Definitions were stored: another pass once the current one is done. */
  notify(): void {
    this.pending = true;
    this.wake();
  }

  /** The entity phases are complete: one last pass over everything, then the step ends. */
  finish(): Promise<void> {
    this.finishing = true;
    this.wake();
    return this.running ?? Promise.resolve();
  }

  /** The entity phases failed: stop asking and wait for the passes to stop. */
  async abandon(): Promise<void> {
    this.stop.abort(new AbortedError("Label resolution stopped: the entity phases failed"));
    this.wake();
    await this.running?.catch(() => {});
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (!this.pending && !this.finishing) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
      }
      if (this.stop.signal.aborted) throw this.stop.signal.reason;
      const last = this.finishing;
      this.pending = false;
      this.passes.final = last;
      await syncLabels(this.deps, this.ctx, this.versionId, this.passes);
      if (last) return;
    }
  }
}
