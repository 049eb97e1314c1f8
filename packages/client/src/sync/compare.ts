/**
 * Canonical comparison of definitions for `reverify`: equal content compares equal regardless of
 * object key order (the store may rebuild objects with keys in another order); array order counts.
 */

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v as Record<string, unknown>).sort()) {
        const field = (v as Record<string, unknown>)[key];
        // An absent optional field and an explicit undefined are the same content.
        if (field !== undefined) sorted[key] = field;
      }
      return sorted;
    }
    return v;
  });
}

export function sameContent(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
