import { describe, expect, it } from "vitest";
import { exitCodeForError, ValidationError } from "../../packages/client/src/errors.js";
import { VersionAwareSearchEngine } from "../../packages/client/src/search/engine.js";

const normalize = VersionAwareSearchEngine.normalizeOptions;

function rejection(options: Parameters<typeof normalize>[0]): ValidationError {
  try {
    normalize(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("search option validation", () => {
  it("refuses limit 501 instead of clamping it to 500", () => {
    expect(normalize({ limit: 500 }).limit).toBe(500);
    const error = rejection({ limit: 501 });
    expect(error).toMatchObject({ code: "D365_VALIDATION", field: "limit" });
    expect(error.message).toMatch(/1\.\.500, got 501/);
    expect(exitCodeForError(error)).toBe(2);
  });

  it("refuses an entityCategory that is not a category, and accepts any case of one", () => {
    expect(rejection({ entityCategory: 42 as unknown as string }).field).toBe("entityCategory");
    expect(rejection({ entityCategory: "Masters" }).message).toMatch(/Master, Transaction, Reference/);
    expect(normalize({ entityCategory: "master" }).entityCategory).toBe("Master");
    expect(normalize({}).entityCategory).toBeUndefined();
  });

  it("refuses offsets past the store's bound and non-boolean flags", () => {
    expect(rejection({ offset: 10_000_000 }).field).toBe("offset");
    expect(rejection({ isReadOnly: "yes" as unknown as boolean }).field).toBe("isReadOnly");
    expect(rejection({ kinds: "dataEntity" as never }).field).toBe("kinds");
  });
});
