import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineReporter } from "../../packages/cli/src/cli/progress.js";

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString("utf8");
    callback();
  }
}

describe("progress of a sync that fails", () => {
  it("says the last step stopped instead of reading as finished", () => {
    const sink = new Sink();
    let now = 0;
    const reporter = new LineReporter(sink, "", 15_000, () => now);
    reporter.update({ step: "labels", done: 0, total: 77 });
    now = 3_000;
    reporter.stop({ failed: true });
    expect(sink.text).toBe("Labels: 0/77 — stopped, not finished (3.0 s)\n");
  });

  it("adds no line when no step was in progress (the error line is the only one)", () => {
    const sink = new Sink();
    const reporter = new LineReporter(sink, "dev ", 15_000, () => 0);
    reporter.update({ step: "dataEntities", done: 5, total: 5, stepDone: true });
    reporter.stop({ failed: true });
    expect(sink.text.split("\n").filter(Boolean)).toEqual(["dev Data entities: 5/5 (0 ms)"]);
  });
});
