/**
 * Timestamps as the Python tool wrote them: SQLite `CURRENT_TIMESTAMP` text in UTC
 * (`YYYY-MM-DD HH:MM:SS`), or Python's `datetime.isoformat()`/`str()` of an aware UTC datetime
 * (`2025-08-20 10:11:12.123456+00:00`, with `T` or a space). Anything else reads as unknown.
 */
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export function parsePythonTimestamp(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value)) {
    // Seconds since the epoch (a REAL/INTEGER column written by hand).
    return new Date(value < 1e11 ? value * 1000 : value);
  }
  if (typeof value !== "string") return null;
  const match = PATTERN.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, "0")) : 0;
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    time -= sign * offsetMinutes * 60_000;
  }
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? null : date;
}
