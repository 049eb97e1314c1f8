/** Referential-integrity checks over a release; returns human-readable problems (empty = sound). */
import type { EmulatorRelease } from "../../../packages/emulator/src/model/index.js";

const ENUM_PREFIX = "Microsoft.Dynamics.DataEntities.";

export function integrityProblems(release: EmulatorRelease): string[] {
  const problems: string[] = [];
  const enums = new Map(release.enumerations.map((e) => [e.Name, e]));
  const entities = new Map(release.publicEntities.map((e) => [e.Name, e]));
  const english = release.labels.get("en-us");
  const checkLabel = (id: string | null, where: string) => {
    if (id !== null && !english?.has(id)) problems.push(`${where}: label ${id} has no en-US text`);
  };
  if (entities.size !== release.publicEntities.length) problems.push("duplicate public entity names");
  if (new Set(release.dataEntities.map((d) => d.Name)).size !== release.dataEntities.length) {
    problems.push("duplicate data entity names");
  }
  const publicDataEntities = new Map(
    release.dataEntities.filter((d) => d.DataServiceEnabled).map((d) => [d.PublicEntityName, d]),
  );
  for (const d of release.dataEntities) {
    checkLabel(d.LabelId, `DataEntity ${d.Name}`);
    if (!d.PublicEntityName || !d.PublicCollectionName)
      problems.push(`DataEntity ${d.Name} lacks public names`);
  }
  for (const e of release.publicEntities) {
    const where = `PublicEntity ${e.Name}`;
    if (!publicDataEntities.has(e.Name)) problems.push(`${where}: no DataServiceEnabled data entity`);
    checkLabel(e.LabelId, where);
    const props = new Map(e.Properties.map((p) => [p.Name, p]));
    if (props.size !== e.Properties.length) problems.push(`${where}: duplicate property names`);
    const keys = e.Properties.filter((p) => p.IsKey);
    if (keys.length === 0) problems.push(`${where}: no key`);
    if (props.has("dataAreaId") && e.Properties[0].Name !== "dataAreaId") {
      problems.push(`${where}: dataAreaId is not the first key`);
    }
    for (const p of e.Properties) {
      checkLabel(p.LabelId, `${where}.${p.Name}`);
      if (p.IsKey && !p.IsMandatory) problems.push(`${where}.${p.Name}: key not mandatory`);
      if (p.DataType === "Enum") {
        if (!p.TypeName.startsWith(ENUM_PREFIX) || !enums.has(p.TypeName.slice(ENUM_PREFIX.length))) {
          problems.push(`${where}.${p.Name}: enum type ${p.TypeName} does not exist`);
        }
      } else if (!p.TypeName.startsWith("Edm.")) {
        problems.push(`${where}.${p.Name}: ${p.DataType} typed ${p.TypeName}`);
      }
      if (p.DataType === "Void") problems.push(`${where}.${p.Name}: Void property`);
      if (p.DimensionTypeProperty && !props.has(p.DimensionTypeProperty)) {
        problems.push(`${where}.${p.Name}: DimensionTypeProperty ${p.DimensionTypeProperty} missing`);
      }
      if (p.DimensionLegalEntityProperty && !props.has(p.DimensionLegalEntityProperty)) {
        problems.push(`${where}.${p.Name}: DimensionLegalEntityProperty missing`);
      }
    }
    for (const nav of e.NavigationProperties) {
      const w = `${where}.${nav.Name}`;
      const related = entities.get(nav.RelatedEntity);
      if (!related) {
        problems.push(`${w}: related entity ${nav.RelatedEntity} does not exist`);
        continue;
      }
      if (nav.Cardinality !== "Single" && nav.Cardinality !== "Multiple") problems.push(`${w}: cardinality`);
      if (props.has(nav.Name)) problems.push(`${w}: navigation name clashes with a property`);
      if (
        nav.RelatedRelationName &&
        !related.NavigationProperties.some((n) => n.Name === nav.RelatedRelationName)
      ) {
        problems.push(`${w}: RelatedRelationName ${nav.RelatedRelationName} missing on ${related.Name}`);
      }
      const relatedProps = new Set(related.Properties.map((p) => p.Name));
      for (const c of nav.Constraints) {
        switch (c["@odata.type"]) {
          case "#Microsoft.Dynamics.Metadata.ReferentialConstraint":
            if (!props.has(c.Property)) problems.push(`${w}: constraint property ${c.Property} missing`);
            if (!relatedProps.has(c.ReferencedProperty)) {
              problems.push(`${w}: referenced property ${c.ReferencedProperty} missing on ${related.Name}`);
            }
            break;
          case "#Microsoft.Dynamics.Metadata.FixedConstraint":
            if (!props.has(c.Property))
              problems.push(`${w}: fixed constraint property ${c.Property} missing`);
            break;
          case "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint":
            if (!relatedProps.has(c.RelatedProperty)) {
              problems.push(`${w}: related fixed property ${c.RelatedProperty} missing on ${related.Name}`);
            }
            break;
          default:
            problems.push(`${w}: unknown constraint type`);
        }
      }
    }
    for (const g of e.PropertyGroups) {
      for (const name of g.Properties) {
        if (!props.has(name)) problems.push(`${where} group ${g.Name}: property ${name} missing`);
      }
    }
    for (const a of e.Actions) {
      if (a.BindingKind !== "BoundToEntityInstance" && a.BindingKind !== "BoundToEntitySet") {
        problems.push(`${where} action ${a.Name}: binding ${a.BindingKind}`);
      }
      for (const p of a.Parameters) {
        const t = p.Type.TypeName;
        if (t.startsWith(ENUM_PREFIX) && !enums.has(t.slice(ENUM_PREFIX.length))) {
          problems.push(`${where} action ${a.Name}: parameter type ${t} missing`);
        }
      }
    }
  }
  for (const e of release.enumerations) {
    checkLabel(e.LabelId, `Enum ${e.Name}`);
    if (e.Members.length === 0) problems.push(`Enum ${e.Name}: no members`);
    if (new Set(e.Members.map((m) => m.Name)).size !== e.Members.length)
      problems.push(`Enum ${e.Name}: duplicate members`);
    if (new Set(e.Members.map((m) => m.Value)).size !== e.Members.length)
      problems.push(`Enum ${e.Name}: duplicate values`);
    for (const m of e.Members) checkLabel(m.LabelId, `Enum ${e.Name}.${m.Name}`);
  }
  return problems;
}
