import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { D365Error, NetworkError, registerSecret, ServerError } from "../../packages/client/src/errors.js";

describe("errors scrub registered secrets", () => {
  it("from the message, the body, the URL and every cause, in place", () => {
    const secret = "scrub-test-secret-0001-abcdef";
    registerSecret(secret);
    const foreign = Object.assign(new Error(`idp said ${secret}`), { responseBody: `{"echo":"${secret}"}` });
    const aggregate = new AggregateError([new Error(`inner ${secret}`)], "several");
    const error = new ServerError(`failed: ${secret}`, {
      url: `http://h/x?secret=${secret}`,
      body: { error: { message: `echo ${secret}` } },
      cause: new Error("wrapper", { cause: foreign }),
    });
    new NetworkError("n", { cause: aggregate });
    const dump = [
      error.message,
      error.stack,
      JSON.stringify(error),
      inspect(error, { depth: 10, showHidden: true }),
      foreign.message,
      foreign.stack,
      (foreign as unknown as { responseBody: string }).responseBody,
      inspect(aggregate, { depth: 5 }),
    ].join("\n");
    expect(dump).not.toContain(secret);
    // Identity of the causes is kept.
    expect((error.cause as Error).cause).toBe(foreign);
  });

  it("registered after the error was built, still scrubbed from JSON and inspect", () => {
    const late = "late-registered-secret-0002-xyz";
    const error = new D365Error("D365_SERVER_ERROR", `answer: ${late}`);
    registerSecret(late);
    expect(JSON.stringify(error)).not.toContain(late);
    expect(inspect(error)).not.toContain(late);
    expect(error.message).not.toContain(late);
  });

  it("scrubs JWT-shaped tokens and bearer values whatever their value", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ";
    const error = new D365Error(
      "D365_AUTH",
      `Authorization: Bearer opaque-token-value-1234567890 and ${jwt}`,
    );
    expect(error.message).not.toContain("opaque-token-value-1234567890");
    expect(error.message).not.toContain("c2lnbmF0dXJlLXBhcnQ");
  });
});
