/** Navigation properties with their constraints, property groups and bound actions. */
import type {
  ActionJson,
  ConstraintJson,
  NavigationPropertyJson,
  PublicEntityJson,
  PublicEntityPropertyJson,
  PublicEnumerationJson,
} from "d365fo-client";
import { DATA_ENTITIES_NAMESPACE } from "d365fo-client";
import { enumTypeName, type GenerationContext } from "./context.js";
import type { Rng } from "./prng.js";
import { ACTION_NAMES } from "./words.js";

const GROUP_NAMES = [
  "AutoIdentification",
  "AutoLookup",
  "AutoReport",
  "AutoSummary",
  "Overview",
  "General",
  "Details",
  "Address",
  "Setup",
  "Dimension",
  "Payment",
  "Delivery",
  "Posting",
  "Administration",
];
const PARAMETER_NAMES = [
  "_journalNum",
  "_transDate",
  "_reason",
  "_comment",
  "_quantity",
  "_postingDate",
  "_dataAreaId",
  "_description",
  "_amount",
  "_force",
  "_targetStatus",
  "_lines",
];

function enumProperties(ctx: GenerationContext, entity: PublicEntityJson) {
  const out: { prop: PublicEntityPropertyJson; e: PublicEnumerationJson }[] = [];
  for (const p of entity.Properties) {
    if (p.DataType !== "Enum" || p.IsKey) continue;
    const e = ctx.enumsByName.get(p.TypeName.slice(DATA_ENTITIES_NAMESPACE.length + 1));
    if (e) out.push({ prop: p, e });
  }
  return out;
}

function uniqueMemberName(names: Set<string>, wanted: string): string {
  let name = wanted;
  for (let n = 2; names.has(name); n++) name = `${wanted}${n}`;
  return name;
}

/**
 * A Single navigation from `source` to `target` (source holds target's keys as foreign keys),
 * optionally with the Multiple reverse on `target`. Mutates both entities' navigation arrays.
 */
export function addNavigation(
  ctx: GenerationContext,
  source: PublicEntityJson,
  target: PublicEntityJson,
  rng: Rng,
  withReverse: boolean,
): void {
  const sourceNames = new Set(source.Properties.map((p) => p.Name));
  const referential: ConstraintJson[] = [];
  for (const k of target.Properties) {
    if (!k.IsKey || !sourceNames.has(k.Name)) continue;
    referential.push({
      "@odata.type": "#Microsoft.Dynamics.Metadata.ReferentialConstraint",
      Property: k.Name,
      ReferencedProperty: k.Name,
    });
  }
  if (referential.length === 0) return;
  const constraints = referential.slice();
  if (rng.chance(0.15)) {
    const candidates = enumProperties(ctx, source);
    if (candidates.length > 0) {
      const { prop, e } = rng.pick(candidates);
      const m = rng.pick(e.Members);
      constraints.push({
        "@odata.type": "#Microsoft.Dynamics.Metadata.FixedConstraint",
        Property: prop.Name,
        Value: m.Value,
        ValueStr: m.Name,
      });
    }
  }
  if (rng.chance(0.1)) {
    const candidates = enumProperties(ctx, target);
    if (candidates.length > 0) {
      const { prop, e } = rng.pick(candidates);
      const m = rng.pick(e.Members);
      constraints.push({
        "@odata.type": "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint",
        RelatedProperty: prop.Name,
        Value: m.Value,
        ValueStr: m.Name,
      });
    }
  }
  const taken = new Set([...sourceNames, ...source.NavigationProperties.map((n) => n.Name)]);
  const forward: NavigationPropertyJson = {
    Name: uniqueMemberName(taken, target.Name),
    RelatedEntity: target.Name,
    RelatedRelationName: null,
    Cardinality: "Single",
    Constraints: constraints,
  };
  source.NavigationProperties.push(forward);
  if (!withReverse || source === target) return;
  const targetTaken = new Set([
    ...target.Properties.map((p) => p.Name),
    ...target.NavigationProperties.map((n) => n.Name),
  ]);
  const reverse: NavigationPropertyJson = {
    Name: uniqueMemberName(targetTaken, source.EntitySetName),
    RelatedEntity: source.Name,
    RelatedRelationName: forward.Name,
    Cardinality: "Multiple",
    Constraints: referential.map((c) => ({ ...c })),
  };
  forward.RelatedRelationName = reverse.Name;
  target.NavigationProperties.push(reverse);
}

export function addPropertyGroups(entity: PublicEntityJson, rng: Rng): void {
  if (!rng.chance(0.55) || entity.Properties.length < 2) return;
  const count = rng.int(1, 3);
  const groupNames = new Set<string>();
  while (groupNames.size < count) groupNames.add(rng.pick(GROUP_NAMES));
  for (const name of groupNames) {
    const size = Math.min(entity.Properties.length, rng.int(2, 8));
    const members = new Set<string>();
    if (name === "AutoIdentification") {
      for (const p of entity.Properties) if (p.IsKey) members.add(p.Name);
    }
    while (members.size < size) members.add(rng.pick(entity.Properties).Name);
    entity.PropertyGroups.push({ Name: name, Properties: [...members] });
  }
}

export function randomAction(
  ctx: GenerationContext,
  entity: PublicEntityJson,
  rng: Rng,
  taken: Set<string>,
): ActionJson {
  let name = rng.pick(ACTION_NAMES);
  name = uniqueMemberName(taken, name);
  taken.add(name);
  const enumNames = [...ctx.enumsByName.keys()];
  const parameterCount = rng.skewed(4, 1.5);
  const parameterNames = new Set<string>();
  while (parameterNames.size < parameterCount) parameterNames.add(rng.pick(PARAMETER_NAMES));
  const parameters = [...parameterNames].map((n) => ({
    Name: n,
    Type: {
      TypeName:
        n === "_lines"
          ? "Edm.String"
          : rng.chance(0.15)
            ? enumTypeName(rng.pick(enumNames))
            : rng.pick(["Edm.String", "Edm.Int32", "Edm.Decimal", "Edm.DateTimeOffset", "Edm.Int64"]),
      IsCollection: n === "_lines",
    },
  }));
  const r = rng.next();
  const returnType =
    r < 0.45
      ? null
      : r < 0.75
        ? { TypeName: "Edm.String", IsCollection: false }
        : r < 0.85
          ? { TypeName: "Edm.Int32", IsCollection: false }
          : r < 0.93
            ? { TypeName: "Edm.Boolean", IsCollection: false }
            : { TypeName: `${DATA_ENTITIES_NAMESPACE}.${entity.Name}`, IsCollection: true };
  return {
    Name: name,
    BindingKind: rng.chance(0.7) ? "BoundToEntityInstance" : "BoundToEntitySet",
    FieldLookup: null,
    Parameters: parameters,
    ReturnType: returnType,
  };
}
