/**
 * Sync progress on stderr. On a terminal: one cli-progress bar per sync step. Otherwise (a pipe,
 * a CI log): one line per finished step, so logs stay readable and carry no carriage returns.
 */
import cliProgress from "cli-progress";
import type { SyncProgressEvent } from "../sync/types.js";
import { formatDuration } from "./output.js";

/** The fields the reporter reads (a subset of the sync layer's events). */
export type ProgressEvent = Pick<SyncProgressEvent, "done" | "total"> &
  Partial<Pick<SyncProgressEvent, "stepDone" | "waiting" | "requests" | "elapsedMs">> & { step: string };

export interface ProgressReporter {
  update(event: ProgressEvent): void;
  stop(): void;
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
  return `${stepTitle(phase)}: ${count}${waiting}`;
}

/**
 * For pipes and CI logs: a line when a step ends, a line when the sync starts waiting for another
 * process, and a heartbeat line during a long step (so a log never looks stuck for minutes).
 */
export class LineReporter implements ProgressReporter {
  private current: ProgressEvent | undefined;
  private stepStartedAt: number;
  private lastWriteAt: number;
  private announcedWaiting = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly heartbeatMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {
    this.stepStartedAt = now();
    this.lastWriteAt = now();
  }

  update(event: ProgressEvent): void {
    const previousPhase = this.current?.step;
    if (this.current && previousPhase !== event.step) this.write(this.current);
    if (previousPhase !== event.step) this.stepStartedAt = this.now();
    this.current = event;
    if (event.stepDone) {
      this.write(event);
      this.current = undefined;
    } else if (event.waiting && !this.announcedWaiting) {
      this.announcedWaiting = true;
      this.write(event);
    } else if (this.now() - this.lastWriteAt >= this.heartbeatMs) {
      this.write(event, "…");
    }
  }

  private write(event: ProgressEvent, suffix = ""): void {
    const now = this.now();
    this.lastWriteAt = now;
    this.stream.write(
      `${this.label}${describeProgress(event)}${suffix} (${formatDuration(now - this.stepStartedAt)})\n`,
    );
  }

  stop(): void {
    if (this.current) this.write(this.current);
    this.current = undefined;
  }
}

class BarReporter implements ProgressReporter {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;
  private phase: string | undefined;

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
    if (phase !== this.phase || !this.bar) {
      this.bar?.update(this.bar.getTotal());
      this.phase = phase;
      this.bar = this.bars.create(total, event.done, { title: stepTitle(phase).padEnd(16) });
    }
    if (this.bar.getTotal() !== total) this.bar.setTotal(total);
    const title = event.waiting ? `${stepTitle(phase)} (waiting for another process)` : stepTitle(phase);
    this.bar.update(event.done, { title: title.padEnd(16) });
  }

  stop(): void {
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
