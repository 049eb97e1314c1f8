/**
 * Sync progress on stderr. On a terminal: one cli-progress bar per sync step. Otherwise (a pipe,
 * a CI log): one line per finished step, so logs stay readable and carry no carriage returns.
 */
import cliProgress from "cli-progress";
import type { SyncProgressEvent } from "d365fo-client";
import { formatDuration } from "./output.js";

/** The fields the reporter reads (a subset of the sync layer's events). */
export type ProgressEvent = Pick<SyncProgressEvent, "done" | "total"> &
  Partial<
    Pick<SyncProgressEvent, "stepDone" | "waiting" | "requests" | "elapsedMs" | "etaMs" | "throttling">
  > & { step: string };

export interface ProgressReporter {
  update(event: ProgressEvent): void;
  /**
   * Ends the display. `failed`: the sync did not finish, and the last line must not read as a
   * finished step ("Labels: 0/77 (59.8 s)") — it says "stopped".
   */
  stop(options?: { failed?: boolean }): void;
}

const STEP_TITLES: Record<string, string> = {
  detect: "Detecting version",
  dataEntities: "Data entities",
  publicEntities: "Public entities",
  enumerations: "Enumerations",
  labels: "Labels",
  finalize: "Finalizing",
};

export function stepTitle(phase: string): string {
  return STEP_TITLES[phase] ?? phase;
}

/** "Labels: 1234/5000" style summary of one event (pure; used by the line reporter and tests). */
export function describeProgress(event: ProgressEvent): string {
  const phase = event.step;
  const count = event.total ? `${event.done}/${event.total}` : `${event.done}`;
  const waiting = event.waiting ? " (waiting for another process syncing this version)" : "";
  return `${stepTitle(phase)}: ${count}${waiting}${describeBudget(event)}`;
}

/** ", ETA 1m 20s, 22/24 in flight, 3 × 429, 15s on Retry-After" while a step runs. */
function describeBudget(event: ProgressEvent): string {
  if (event.stepDone) return "";
  const parts: string[] = [];
  if (event.etaMs !== undefined && event.etaMs !== null && event.etaMs > 0) {
    parts.push(`ETA ${formatDuration(event.etaMs)}`);
  }
  const t = event.throttling;
  if (t) {
    parts.push(`${t.inFlight}/${t.ceiling ?? t.limit} in flight`);
    if (t.throttled > 0)
      parts.push(`${t.throttled} × 429, ${formatDuration(t.retryAfterWaitMs)} on Retry-After`);
  }
  return parts.length > 0 ? `, ${parts.join(", ")}` : "";
}

/**
 * For pipes and CI logs: a line when a step ends, a line when the sync starts waiting for another
 * process, and a heartbeat line during a long step (so a log never looks stuck for minutes).
 */
export class LineReporter implements ProgressReporter {
  /** The latest event of every step that has not ended (labels run alongside the collections). */
  private readonly running = new Map<string, { event: ProgressEvent; startedAt: number }>();
  private lastWriteAt: number;
  private announcedWaiting = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly heartbeatMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastWriteAt = now();
  }

  update(event: ProgressEvent): void {
    const startedAt = this.running.get(event.step)?.startedAt ?? this.now();
    if (event.stepDone) {
      this.running.delete(event.step);
      this.write(event, startedAt);
      return;
    }
    this.running.set(event.step, { event, startedAt });
    if (event.waiting && !this.announcedWaiting) {
      this.announcedWaiting = true;
      this.write(event, startedAt);
    } else if (this.now() - this.lastWriteAt >= this.heartbeatMs) {
      for (const step of this.running.values()) this.write(step.event, step.startedAt, "…");
    }
  }

  private write(event: ProgressEvent, startedAt: number, suffix = ""): void {
    const now = this.now();
    this.lastWriteAt = now;
    this.stream.write(
      `${this.label}${describeProgress(event)}${suffix} (${formatDuration(now - startedAt)})\n`,
    );
  }

  stop(options: { failed?: boolean } = {}): void {
    // Only the lines stop() writes anyway change: a failure stays one error line otherwise.
    const suffix = options.failed ? " — stopped, not finished" : "";
    for (const step of this.running.values()) this.write(step.event, step.startedAt, suffix);
    this.running.clear();
  }
}

class BarReporter implements ProgressReporter {
  private readonly bars: cliProgress.MultiBar;
  /** One bar per step (labels run alongside the collections). */
  private readonly byStep = new Map<string, cliProgress.SingleBar>();

  constructor(stream: NodeJS.WritableStream, label: string) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: `${label}{title} [{bar}] {value}/{total} {percentage}% | {duration_formatted} | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(event: ProgressEvent): void {
    const phase = event.step;
    const total = event.total ?? Math.max(event.done, 1);
    let bar = this.byStep.get(phase);
    if (!bar) {
      bar = this.bars.create(total, event.done, { title: stepTitle(phase).padEnd(16) });
      this.byStep.set(phase, bar);
    }
    if (bar.getTotal() !== total) bar.setTotal(total);
    const title = event.waiting ? `${stepTitle(phase)} (waiting for another process)` : stepTitle(phase);
    const t = event.throttling;
    const budget = t && !event.stepDone ? ` ${t.inFlight}/${t.ceiling ?? t.limit}` : "";
    bar.update(event.done, { title: `${title}${budget}`.padEnd(16) });
    if (event.stepDone) bar.update(bar.getTotal());
  }

  stop(options: { failed?: boolean } = {}): void {
    if (options.failed) {
      for (const [step, bar] of this.byStep) {
        bar.update({ title: `${stepTitle(step)} (stopped)`.padEnd(16) });
      }
    }
    this.bars.stop();
  }
}

class SilentReporter implements ProgressReporter {
  update(): void {}
  stop(): void {}
}

export function createProgressReporter(
  stream: NodeJS.WritableStream,
  options: { enabled: boolean; label?: string },
): ProgressReporter {
  if (!options.enabled) return new SilentReporter();
  const label = options.label ? `${options.label} ` : "";
  return (stream as NodeJS.WriteStream).isTTY
    ? new BarReporter(stream, label)
    : new LineReporter(stream, label);
}
