import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  Output,
  renderKeyValues,
  renderTable,
} from "../../packages/cli/src/cli/output.js";
import { describeProgress, LineReporter } from "../../packages/cli/src/cli/progress.js";
import { redactingStream, redactUrl, SecretRedactor } from "../../packages/cli/src/cli/redact.js";
import { renderEntity, renderSearch } from "../../packages/cli/src/cli/render.js";
import type { PublicEntityView, SearchResultPage } from "../../packages/client/src/cache/types.js";
import { entityProperty } from "../_fixtures/models.js";

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe("output", () => {
  it("writes exactly one JSON document in JSON mode, human text otherwise", () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const json = new Output(true, { stdout, stderr });
    json.result({ when: new Date(0), map: new Map([["a", 1]]) }, () => "human");
    json.errorDocument({ code: "X", message: "late", exitCode: 1 });
    expect(JSON.parse(stdout.text)).toEqual({ when: "1970-01-01T00:00:00.000Z", map: { a: 1 } });
    expect(() => json.result({}, () => "")).toThrow(/already written/);
    const human = new Output(false, { stdout: new Sink(), stderr });
    human.result({ a: 1 }, () => "hello");
    expect((human.streams.stdout as Sink).text).toBe("hello\n");
  });

  it("renders plain tables and key/value blocks without colour codes", () => {
    const table = renderTable(["a", "b"], [[1, null]]);
    expect(table).toContain("│ a │ b │");
    expect(table).not.toMatch(/\u001b\[/);
    expect(
      renderKeyValues([
        ["Name", "x"],
        ["Longer", null],
      ]),
    ).toBe("Name:   x\nLonger: -");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatDuration(1500)).toBe("1.5 s");
  });

  it("redacts known secrets, bearer tokens and client_secret fields", () => {
    const redactor = new SecretRedactor();
    redactor.add("s3cr3t-value");
    const sink = new Sink();
    const stream = redactingStream(sink, redactor);
    stream.write("secret=s3cr3t-value Bearer eyJhbGciOiJSUzI1NiJ9.abcdefghijklmnop client_secret=xyz&a=1\n");
    expect(sink.text).toBe("secret=[redacted] Bearer [redacted] client_secret=[redacted]&a=1\n");
  });

  it("redacts the password of a URL, as written, percent-decoded and wherever it reappears", () => {
    const redactor = new SecretRedactor();
    redactor.addUrlPassword("postgres://team:p%40ss-w0rd@db.example.com:5432/d365");
    expect(redactor.redact("connecting to postgres://team:p%40ss-w0rd@db.example.com:5432/d365")).toBe(
      "connecting to postgres://team:[redacted]@db.example.com:5432/d365",
    );
    expect(redactor.redact('password authentication failed: "p@ss-w0rd"')).toBe(
      'password authentication failed: "[redacted]"',
    );
    // A URL the redactor was never told about still loses its password.
    expect(redactUrl("postgresql://other:hunter22@10.0.0.5/x and https://example.com/a:b@c")).toBe(
      "postgresql://other:[redacted]@10.0.0.5/x and https://example.com/a:b@c",
    );
    expect(redactUrl("postgres://db.example.com/d365")).toBe("postgres://db.example.com/d365");
  });

  it("describes progress per step", () => {
    expect(describeProgress({ step: "labels", done: 5, total: 10 })).toBe("Labels: 5/10");
    expect(describeProgress({ step: "publicEntities", done: 7, total: null, waiting: true })).toMatch(
      /^Public entities: 7 \(waiting/,
    );
  });
});

describe("line progress", () => {
  it("writes a line per finished step, once when waiting, and a heartbeat during a long step", () => {
    const sink = new Sink();
    let now = 0;
    const reporter = new LineReporter(sink, "dev ", 15_000, () => now);
    reporter.update({ step: "dataEntities", done: 10, total: 20 });
    now = 1_000;
    reporter.update({ step: "dataEntities", done: 20, total: 20, stepDone: true });
    reporter.update({ step: "labels", done: 0, total: 100, waiting: true });
    reporter.update({ step: "labels", done: 0, total: 100, waiting: true });
    now = 20_000;
    reporter.update({ step: "labels", done: 50, total: 100 });
    now = 21_000;
    reporter.update({ step: "labels", done: 60, total: 100 });
    reporter.stop();
    expect(sink.text.split("\n").filter(Boolean)).toEqual([
      "dev Data entities: 20/20 (1.0 s)",
      "dev Labels: 0/100 (waiting for another process syncing this version) (0 ms)",
      "dev Labels: 50/100… (19.0 s)",
      "dev Labels: 60/100 (20.0 s)",
    ]);
  });
});

describe("human views", () => {
  it("renders a search page with kind, name, label and why", () => {
    const page: SearchResultPage = {
      query: "cust",
      terms: ["cust"],
      hits: [
        {
          kind: "publicEntity",
          name: "CustomerGroup",
          reason: "name prefix 'cust'",
          matchedField: "name",
          matchedText: "CustomerGroup",
          tier: 1,
          score: 0,
          labelId: "@SYS1",
          labelText: "Customer groups",
        },
      ],
      total: 3,
      limit: 1,
      offset: 0,
      versionHash: "abc",
    };
    const text = renderSearch(page);
    expect(text).toMatch(/kind.*name.*label.*why/);
    expect(text).toContain("Customer groups");
    expect(text).toContain("1-1 of 3 matches");
    expect(renderSearch({ ...page, hits: [], total: 0 })).toBe('No matches for "cust".');
  });

  it("renders an entity's keys, enum types, navigation and actions", () => {
    const property = {
      ...entityProperty("Status", {
        typeName: "Microsoft.Dynamics.DataEntities.NoYes",
        dataType: "Enum",
        labelId: "@SYS2",
      }),
      labelText: "Status",
    };
    const entity: PublicEntityView = {
      name: "Thing",
      entitySetName: "Things",
      labelId: "@SYS1",
      labelText: "Things",
      isReadOnly: false,
      configurationEnabled: true,
      properties: [
        { ...property, name: "Id", typeName: "Edm.String", dataType: "String", isKey: true },
        property,
      ],
      navigationProperties: [
        {
          name: "Owner",
          relatedEntity: "Worker",
          relatedRelationName: null,
          cardinality: "Single",
          constraints: [{ kind: "Referential", property: "OwnerId", referencedProperty: "Id" }],
        },
      ],
      propertyGroups: [],
      actions: [
        {
          name: "Approve",
          bindingKind: "BoundToEntityInstance",
          fieldLookup: null,
          parameters: [{ name: "note", type: { typeName: "Edm.String", isCollection: false } }],
          returnType: null,
        },
      ],
      language: "en-US",
    };
    const text = renderEntity(entity);
    expect(text).toMatch(/Keys:\s+Id/);
    expect(text).toContain("Enum types: Microsoft.Dynamics.DataEntities.NoYes");
    expect(text).toContain("OwnerId = Id");
    expect(text).toContain("note: Edm.String");
  });
});
