/**
 * The manifest written beside the generated files (`d365fo-codegen.json`) and the drift check
 * (pure): what each generated type depends on, so `--check` compares without parsing TypeScript.
 */
import {
  CODEGEN_FORMAT,
  type CodegenInput,
  type CodegenStamp,
  decodeProperty,
  type EntitySignature,
  entitySignature,
  type PropertySignature,
} from "./model.js";
import { compare, type Names } from "./names.js";

export const MANIFEST_FILE = "d365fo-codegen.json";

export interface CodegenManifest extends CodegenStamp {
  format: number;
  /** Where the descriptor type is imported from. */
  clientModule: string;
  /** By public entity name; `typeName` is the read type (the others add Key, Create, Update). */
  entities: Record<string, EntitySignature & { typeName: string }>;
  /** By enumeration name: its generated type and member names. */
  enums: Record<string, { typeName: string; members: string[] }>;
}

export function buildManifest(input: CodegenInput, names: Names, clientModule: string): CodegenManifest {
  const entities = [...input.entities].sort((a, b) => compare(a.name, b.name));
  const enums = [...input.enums].sort((a, b) => compare(a.name, b.name));
  return {
    format: CODEGEN_FORMAT,
    ...input.stamp,
    clientModule,
    entities: Object.fromEntries(
      entities.map((e) => {
        const n = names.entities.get(e.name)!;
        return [e.name, { typeName: n.read, ...entitySignature(e, `${n.file}.ts`) }];
      }),
    ),
    enums: Object.fromEntries(
      enums.map((e) => [
        e.name,
        { typeName: names.enums.get(e.name)!.type, members: e.members.map((m) => m.name) },
      ]),
    ),
  };
}

export type DriftKind =
  | "entityRemoved"
  | "entitySetChanged"
  | "readOnlyChanged"
  | "propertyAdded"
  | "propertyRemoved"
  | "typeChanged"
  | "becameMandatory"
  | "noLongerMandatory"
  | "keyChanged"
  | "createChanged"
  | "updateChanged"
  | "navigationAdded"
  | "navigationRemoved"
  | "enumMembersChanged";

export interface DriftChange {
  kind: DriftKind;
  /** The public entity or enumeration concerned. */
  owner: string;
  /** The generated types that change, e.g. `["CustomerV3", "CustomerV3Create"]`. */
  types: string[];
  property?: string;
  from?: string;
  to?: string;
  message: string;
}

/** Everything about the generated types that differs between `previous` and `current`. */
export function diffManifests(previous: CodegenManifest, current: CodegenManifest): DriftChange[] {
  const out: DriftChange[] = [];
  for (const [name, before] of Object.entries(previous.entities).sort(([a], [b]) => compare(a, b))) {
    const t = before.typeName;
    const after = current.entities[name];
    if (!after) {
      out.push({
        kind: "entityRemoved",
        owner: name,
        types: [t],
        message: `${t}: entity ${name} no longer exists`,
      });
      continue;
    }
    if (after.entitySet !== before.entitySet)
      out.push({
        kind: "entitySetChanged",
        owner: name,
        types: [t],
        from: before.entitySet,
        to: after.entitySet,
        message: `${t}: entity set renamed ${before.entitySet} → ${after.entitySet}`,
      });
    if (after.readOnly !== before.readOnly)
      out.push({
        kind: "readOnlyChanged",
        owner: name,
        types: [t],
        message: `${t}: ${after.readOnly ? "became read-only" : "became writable"}`,
      });
    out.push(...diffProperties(name, t, decodeAll(before.properties), decodeAll(after.properties)));
    for (const nav of after.navigations.filter((x) => !before.navigations.includes(x)))
      out.push(navigation("navigationAdded", name, t, nav, "added"));
    for (const nav of before.navigations.filter((x) => !after.navigations.includes(x)))
      out.push(navigation("navigationRemoved", name, t, nav, "removed"));
  }
  for (const [name, before] of Object.entries(previous.enums).sort(([a], [b]) => compare(a, b))) {
    const after = current.enums[name];
    if (!after || after.members.join("\u0000") === before.members.join("\u0000")) continue;
    const added = after.members.filter((m) => !before.members.includes(m));
    const removed = before.members.filter((m) => !after.members.includes(m));
    const parts = [
      added.length ? `added ${added.join(", ")}` : "",
      removed.length ? `removed ${removed.join(", ")}` : "",
    ];
    out.push({
      kind: "enumMembersChanged",
      owner: name,
      types: [before.typeName],
      message: `${before.typeName}: members ${parts.filter(Boolean).join("; ") || "reordered"}`,
    });
  }
  return out;
}

function decodeAll(properties: Record<string, string>): Record<string, PropertySignature> {
  return Object.fromEntries(Object.entries(properties).map(([name, text]) => [name, decodeProperty(text)]));
}

function navigation(kind: DriftKind, owner: string, t: string, nav: string, verb: string): DriftChange {
  return { kind, owner, types: [`${t}Navigation`], property: nav, message: `${t}Navigation: ${nav} ${verb}` };
}

/** The generated types a property appears in. */
function typesOf(t: string, p: PropertySignature): string[] {
  return [
    t,
    ...(p.key ? [`${t}Key`] : []),
    ...(p.create !== "absent" ? [`${t}Create`] : []),
    ...(p.update ? [`${t}Update`] : []),
  ];
}

function diffProperties(
  owner: string,
  t: string,
  before: Record<string, PropertySignature>,
  after: Record<string, PropertySignature>,
): DriftChange[] {
  const out: DriftChange[] = [];
  const change = (
    kind: DriftKind,
    property: string,
    types: string[],
    message: string,
    from?: string,
    to?: string,
  ) => out.push({ kind, owner, types, property, message, ...(from !== undefined ? { from, to } : {}) });
  for (const [name, a] of Object.entries(after))
    if (!before[name])
      change("propertyAdded", name, typesOf(t, a), `${t}: property ${name} added (${a.type})`);
  for (const [name, b] of Object.entries(before)) {
    const a = after[name];
    if (!a) {
      change("propertyRemoved", name, typesOf(t, b), `${t}: property ${name} removed`);
      continue;
    }
    if (a.type !== b.type)
      change(
        "typeChanged",
        name,
        typesOf(t, a),
        `${t}: ${name} changed type ${b.type} → ${a.type}`,
        b.type,
        a.type,
      );
    if (a.key !== b.key)
      change(
        "keyChanged",
        name,
        [`${t}Key`],
        `${t}Key: ${name} ${a.key ? "became a key field" : "is no longer a key field"}`,
      );
    if (a.create !== b.create) {
      const kind: DriftKind =
        a.create === "required"
          ? "becameMandatory"
          : b.create === "required"
            ? "noLongerMandatory"
            : "createChanged";
      const what =
        kind === "becameMandatory"
          ? "became mandatory"
          : kind === "noLongerMandatory"
            ? "is no longer mandatory"
            : a.create === "absent"
              ? "can no longer be set on create"
              : "can now be set on create";
      change(kind, name, [`${t}Create`], `${t}Create: ${name} ${what}`, b.create, a.create);
    } else if (a.mandatory !== b.mandatory && a.mandatory)
      change(
        "becameMandatory",
        name,
        [t],
        `${t}: ${name} became mandatory (filled in by the entity on create)`,
      );
    if (a.update !== b.update)
      change(
        "updateChanged",
        name,
        [`${t}Update`],
        `${t}Update: ${name} ${a.update ? "became editable" : "is no longer editable"} after create`,
      );
  }
  return out;
}
