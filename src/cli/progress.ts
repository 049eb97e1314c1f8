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

class LineReporter implements ProgressReporter {
  private current: ProgressEvent | undefined;
  private stepStartedAt = Date.now();

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
  ) {}

  update(event: ProgressEvent): void {
    const phase = event.step;
    const previousPhase = this.current ? this.current.step : undefined;
    if (this.current && previousPhase !== phase) this.flush(this.current);
    if (previousPhase !== phase) this.stepStartedAt = Date.now();
    this.current = event;
    if (event.stepDone) {
      this.flush(event);
      this.current = undefined;
    }
  }

  private flush(event: ProgressEvent): void {
    this.stream.write(
      `${this.label}${describeProgress(event)} (${formatDuration(Date.now() - this.stepStartedAt)})\n`,
    );
  }

  stop(): void {
    if (this.current) this.flush(this.current);
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
    this.bar.update(event.done, { title: stepTitle(phase).padEnd(16) });
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
