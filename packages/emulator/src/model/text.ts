/** Pure text helpers: D365-style pluralisation, label texts from names, pseudo-translation. */
import { GERMAN } from "./words.js";

/** `CustomerGroupId` → [`Customer`, `Group`, `Id`]; `CustomersV3` → [`Customers`, `V3`]; `_IT` suffix kept apart. */
export function splitWords(name: string): string[] {
  return name.match(/V\d+(?![a-z])|[A-Z]{2,}(?=[A-Z][a-z]|\d|$|_)|[A-Z]?[a-z]+|[A-Z]+|\d+/g) ?? [name];
}

/** Label text in English sentence case: `Customer group id`, keeping `V3` and acronyms. */
export function labelTextFromName(name: string): string {
  const words = splitWords(name);
  return words
    .map((w, i) => {
      if (/^V\d+$/.test(w) || (w.length > 1 && w === w.toUpperCase())) return w;
      if (i === 0) return w[0].toUpperCase() + w.slice(1);
      return w.toLowerCase();
    })
    .join(" ");
}

/** English plural of the last word of a PascalCase name (`SalesOrderLine` → `SalesOrderLines`). */
export function pluralize(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

/**
 * A deterministic German-looking rendering of an English label: known words are translated,
 * the others get a fixed spelling shift; German capitalises nouns, so every word does here.
 */
export function pseudoGerman(text: string): string {
  return text
    .split(" ")
    .map((w) => {
      const known = GERMAN[w.toLowerCase()];
      if (known) return known;
      if (/^V\d+$/.test(w) || /^[A-Z0-9]+$/.test(w) || !/^[A-Za-z]+$/.test(w)) return w;
      const shifted = w
        .replace(/c(?=[aou])/g, "k")
        .replace(/tion$/, "tion")
        .replace(/y$/, "ie")
        .replace(/ou/g, "au");
      return shifted[0].toUpperCase() + shifted.slice(1);
    })
    .join(" ");
}
