/**
 * Entity field values per X++ DataType, in their JSON forms (protocol §8.2): generation from a
 * 32-bit hash (deterministic per seed, entity set, row and property), string sizes, and the
 * conversion of values a client sends (the OData deserializer's checks). Pure.
 */
import type { PublicEntityPropertyJson } from "d365fo-client";
import { splitWords } from "../../model/text.js";

export type FieldValue = string | number;
export type Row = Record<string, FieldValue>;

export const EMPTY_DATE = "1900-01-01T12:00:00Z";
export const EMPTY_DATETIME = "1900-01-01T00:00:00Z";
export const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";
export const FIRST_REC_ID = 5_637_144_576;

/** X++ extended data types have fixed string sizes; the size follows the name's last word. */
const STRING_SIZES: readonly [RegExp, number][] = [
  [/^dataAreaId$/, 4],
  [/(Id|Code|Number|Account|Symbol|Reference)(_[A-Z]+)?$/, 20],
  [/(Name)(_[A-Z]+)?$/, 100],
  [/(Email)$/, 80],
  [/(Phone)$/, 30],
  [/(ZipCode)$/, 10],
  [/(City|Street)$/, 60],
  [/(Description|Text)(_[A-Z]+)?$/, 255],
  [/DisplayValue$/, 500],
];

export function stringSize(name: string): number {
  for (const [pattern, size] of STRING_SIZES) if (pattern.test(name)) return size;
  return 60;
}

/** `CustomerAccount` → `CA`: the prefix of generated identifiers. */
export function identifierPrefix(name: string): string {
  const initials = splitWords(name)
    .filter((w) => /^[A-Za-z]/.test(w))
    .map((w) => w[0].toUpperCase())
    .join("");
  return (initials || "X").slice(0, 4);
}

/** A 32-bit mix of two numbers (murmur3 finaliser). */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const WORDS = [
  "Contoso",
  "Fabrikam",
  "Northwind",
  "Adatum",
  "Litware",
  "Proseware",
  "Tailspin",
  "Wingtip",
  "Coho",
  "Alpine",
  "Retail",
  "Wholesale",
  "Industries",
  "Trading",
  "Supplies",
  "Logistics",
];
const CITIES = ["Seattle", "Redmond", "Chicago", "Dallas", "Atlanta", "Berlin", "Munich", "Paris", "London"];
const STREETS = ["Main Street", "Market Street", "Hauptstraße", "Oak Avenue", "Pine Road", "Lake Drive"];

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function guidFrom(h: number, salt: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++)
    parts.push(
      mix(h, salt + i)
        .toString(16)
        .padStart(8, "0"),
    );
  const hex = parts.join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((Number.parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const dayTexts = new Map<number, string>();

/** `YYYY-MM-DDThh:mm:ssZ` (whole seconds, UTC); the date part is memoised per day (generation is hot). */
function isoDate(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  let date = dayTexts.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dayTexts.size < 100_000) dayTexts.set(day, date);
  }
  const seconds = Math.floor((ms - day * 86_400_000) / 1000);
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor((seconds % 3600) / 60);
  const ss = seconds % 60;
  return `${date}T${hh < 10 ? "0" : ""}${hh}:${mm < 10 ? "0" : ""}${mm}:${ss < 10 ? "0" : ""}${ss}Z`;
}

const DAY = 86_400_000;
const START_2015 = Date.UTC(2015, 0, 1);

/** A generator of realistic values of `property` from a 32-bit hash (all name-based choices made once). */
export function valueGenerator(
  property: PublicEntityPropertyJson,
  enumMembers: readonly string[] | undefined,
): (h: number) => FieldValue {
  const name = property.Name;
  // Mandatory fields are always filled (X++ refuses 0 there), so generated rows pass validation.
  const optional = !property.IsMandatory;
  const isEmpty = (h: number) => optional && h % 11 === 0;
  switch (property.DataType) {
    case "String": {
      const size = stringSize(name);
      const prefix = identifierPrefix(name);
      let text: (h: number) => string;
      if (/Email$/.test(name)) text = (h) => `${WORDS[h % 10].toLowerCase()}${h % 1000}@contoso.com`;
      else if (/Phone$/.test(name)) text = (h) => `+1 425 555 ${pad(h % 10000, 4)}`;
      else if (/City$/.test(name)) text = (h) => CITIES[h % CITIES.length];
      else if (/Street$/.test(name)) text = (h) => `${(h % 999) + 1} ${STREETS[(h >>> 8) % STREETS.length]}`;
      else if (/ZipCode$/.test(name)) text = (h) => pad(h % 100000, 5);
      else if (size <= 20) text = (h) => `${prefix}-${pad(h % 100000, 5)}`;
      else text = (h) => `${WORDS[h % WORDS.length]} ${WORDS[(h >>> 5) % WORDS.length]} ${(h >>> 10) % 1000}`;
      return (h) => (isEmpty(h) ? "" : text(h).slice(0, size));
    }
    case "Int32":
      return (h) => (isEmpty(h) ? 0 : 1 + (h % 999));
    case "Int64":
      return (h) => (isEmpty(h) ? 0 : FIRST_REC_ID + (h % 10_000_000));
    case "Real":
      return (h) => (isEmpty(h) ? 0 : Math.round((h % 10_000_000) / 10) / 100 + 0.01);
    case "Date":
      return (h) => (isEmpty(h) ? EMPTY_DATE : isoDate(START_2015 + (h % 4383) * DAY + DAY / 2));
    case "UtcDateTime":
      return (h) => (isEmpty(h) ? EMPTY_DATETIME : isoDate(START_2015 + (h % 378_000_000) * 1000));
    case "Time":
      return (h) => (h % 1440) * 60;
    case "Enum": {
      if (!enumMembers || enumMembers.length === 0) return () => "";
      const members = !optional && enumMembers.length > 1 ? enumMembers.slice(1) : enumMembers;
      return (h) => members[h % members.length];
    }
    case "Guid":
      return (h) => (isEmpty(h) ? EMPTY_GUID : guidFrom(h, 17));
    case "Container":
      return (h) =>
        isEmpty(h) ? "" : Buffer.from([h & 255, (h >>> 8) & 255, (h >>> 16) & 255, 7, 7]).toString("base64");
    default:
      return () => "";
  }
}

/** A generator of the key value at a row's position (unique per position for String/number/date keys). */
export function keyGenerator(
  property: PublicEntityPropertyJson,
  enumMembers: readonly string[] | undefined,
): (position: number) => FieldValue {
  switch (property.DataType) {
    case "String": {
      const prefix = identifierPrefix(property.Name);
      const size = stringSize(property.Name);
      return (position) => `${prefix}-${pad(position + 1, 6)}`.slice(0, size);
    }
    case "Int32":
    case "Real":
      return (position) => position + 1;
    case "Int64":
      return (position) => FIRST_REC_ID + position;
    case "Date":
      return (position) => isoDate(Date.UTC(2020, 0, 1) + position * DAY + DAY / 2);
    case "UtcDateTime":
      return (position) => isoDate(Date.UTC(2020, 0, 1) + position * 3_600_000);
    case "Guid":
      return (position) => guidFrom(position, 91);
    case "Enum":
      return (position) =>
        enumMembers && enumMembers.length > 0 ? enumMembers[position % enumMembers.length] : "";
    default:
      return (position) => String(position);
  }
}

/** The value a field has when nobody set it (protocol §8.2 "Empty / default"). */
export function emptyValue(
  property: PublicEntityPropertyJson,
  enumMembers: readonly string[] | undefined,
): FieldValue {
  switch (property.DataType) {
    case "Int32":
    case "Int64":
    case "Real":
    case "Time":
      return 0;
    case "Date":
      return EMPTY_DATE;
    case "UtcDateTime":
      return EMPTY_DATETIME;
    case "Guid":
      return EMPTY_GUID;
    case "Enum":
      return enumMembers?.[0] ?? "";
    default:
      return "";
  }
}

/** X++ "must be filled in": empty strings, zero numbers, the empty date, the enum's 0 member. */
export function isUnfilled(
  property: PublicEntityPropertyJson,
  value: FieldValue,
  zeroMember: string | undefined,
): boolean {
  switch (property.DataType) {
    case "Int32":
    case "Int64":
    case "Real":
      return value === 0;
    case "Date":
      return value === EMPTY_DATE;
    case "UtcDateTime":
      return value === EMPTY_DATETIME;
    case "Guid":
      return value === EMPTY_GUID;
    case "Enum":
      return value === "" || value === zeroMember;
    case "Time":
      return false;
    default:
      return value === "";
  }
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const GUID_TEXT = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** Converts a value from a request body to its stored form, or explains why it cannot (a 400). */
export function convertIncoming(
  property: PublicEntityPropertyJson,
  value: unknown,
  enumMembers: readonly string[] | undefined,
): { ok: true; value: FieldValue } | { ok: false; message: string } {
  const fail = (what: string) => ({
    ok: false as const,
    message: `Cannot convert the literal '${typeof value === "string" ? value : JSON.stringify(value)}' to the expected type '${property.TypeName}'${what}.`,
  });
  switch (property.DataType) {
    case "String":
    case "Record":
      return typeof value === "string" ? { ok: true, value } : fail("");
    case "Int32":
    case "Time":
      return typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= 2_147_483_647
        ? { ok: true, value }
        : fail("");
    case "Int64":
      return typeof value === "number" && Number.isInteger(value) ? { ok: true, value } : fail("");
    case "Real":
      // Edm.Decimal may arrive as a JSON number or (IEEE754Compatible) a numeric string.
      if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value };
      if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))
        return { ok: true, value: Number(value) };
      return fail("");
    case "Date":
    case "UtcDateTime": {
      if (typeof value !== "string" || !ISO_DATETIME.test(value) || Number.isNaN(Date.parse(value)))
        return fail("");
      const iso = isoDate(Date.parse(value));
      // Date-only fields are stored at noon UTC (protocol §8.2).
      return { ok: true, value: property.DataType === "Date" ? `${iso.slice(0, 10)}T12:00:00Z` : iso };
    }
    case "Guid":
      return typeof value === "string" && GUID_TEXT.test(value)
        ? { ok: true, value: value.toLowerCase() }
        : fail("");
    case "Enum":
      if (typeof value === "string" && enumMembers?.includes(value)) return { ok: true, value };
      return {
        ok: false,
        message: `The string '${String(value)}' is not a valid enumeration type constant of '${property.TypeName}'.`,
      };
    case "Container":
      return typeof value === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
        ? { ok: true, value }
        : fail("");
    default:
      return fail("");
  }
}
