/**
 * `/data/$metadata`: the CSDL (EDMX 4.0) document of a release, rendered from the same model the
 * Metadata service serves. For `large` it is tens of MB, so it is built as one array of parts
 * joined once, and memoized per release.
 */
import type { ActionJson, PublicEntityJson, PublicEnumerationJson } from "d365fo-client";
import { DATA_ENTITIES_NAMESPACE } from "d365fo-client";
import type { EmulatorRelease } from "./types.js";

const NS = DATA_ENTITIES_NAMESPACE;
const CORE = "Microsoft.Dynamics.OData.Core.V1";
const rendered = new WeakMap<EmulatorRelease, string>();

const XML_SPECIAL = /[&<>"]/;

export function xmlAttr(value: string): string {
  if (!XML_SPECIAL.test(value)) return value;
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function labelAnnotation(labelId: string | null): string {
  return labelId === null ? "" : `<Annotation Term="${CORE}.LabelId" String="${xmlAttr(labelId)}"/>`;
}

function entityType(parts: string[], e: PublicEntityJson): void {
  parts.push(`<EntityType Name="${xmlAttr(e.Name)}"><Key>`);
  for (const p of e.Properties) if (p.IsKey) parts.push(`<PropertyRef Name="${xmlAttr(p.Name)}"/>`);
  parts.push("</Key>");
  for (const p of e.Properties) {
    const nullable = p.IsKey || p.IsMandatory ? ' Nullable="false"' : "";
    const annotations =
      labelAnnotation(p.LabelId) +
      (p.AllowEdit ? "" : `<Annotation Term="${CORE}.AllowEdit" Bool="false"/>`) +
      (p.IsMandatory && !p.IsKey ? `<Annotation Term="${CORE}.IsRequired" Bool="true"/>` : "");
    const head = `<Property Name="${xmlAttr(p.Name)}" Type="${xmlAttr(p.TypeName)}"${nullable}`;
    parts.push(annotations === "" ? `${head}/>` : `${head}>${annotations}</Property>`);
  }
  for (const nav of e.NavigationProperties) {
    const single = nav.Cardinality !== "Multiple";
    const target = `${NS}.${nav.RelatedEntity}`;
    const partner = nav.RelatedRelationName ? ` Partner="${xmlAttr(nav.RelatedRelationName)}"` : "";
    parts.push(
      `<NavigationProperty Name="${xmlAttr(nav.Name)}" Type="${single ? target : `Collection(${target})`}"${partner}>`,
    );
    // CSDL has no fixed-value constraints; only referential ones, and only on single-valued navigation.
    if (single) {
      for (const c of nav.Constraints) {
        if (c["@odata.type"] === "#Microsoft.Dynamics.Metadata.ReferentialConstraint") {
          parts.push(
            `<ReferentialConstraint Property="${xmlAttr(c.Property)}" ReferencedProperty="${xmlAttr(c.ReferencedProperty)}"/>`,
          );
        }
      }
    }
    parts.push("</NavigationProperty>");
  }
  parts.push(labelAnnotation(e.LabelId));
  if (e.IsReadOnly) parts.push(`<Annotation Term="${CORE}.IsReadOnly" Bool="true"/>`);
  parts.push("</EntityType>");
}

function enumType(parts: string[], e: PublicEnumerationJson): void {
  parts.push(`<EnumType Name="${xmlAttr(e.Name)}">`);
  for (const m of e.Members) {
    const head = `<Member Name="${xmlAttr(m.Name)}" Value="${m.Value}"`;
    parts.push(m.LabelId === null ? `${head}/>` : `${head}>${labelAnnotation(m.LabelId)}</Member>`);
  }
  parts.push(labelAnnotation(e.LabelId));
  parts.push("</EnumType>");
}

function typeRef(typeName: string, isCollection: boolean): string {
  return xmlAttr(isCollection ? `Collection(${typeName})` : typeName);
}

function action(parts: string[], entity: PublicEntityJson, a: ActionJson): void {
  const bindingType =
    a.BindingKind === "BoundToEntitySet" ? `Collection(${NS}.${entity.Name})` : `${NS}.${entity.Name}`;
  parts.push(`<Action Name="${xmlAttr(a.Name)}" IsBound="true">`);
  parts.push(`<Parameter Name="_bindingParameter" Type="${xmlAttr(bindingType)}"/>`);
  for (const p of a.Parameters) {
    parts.push(
      `<Parameter Name="${xmlAttr(p.Name)}" Type="${typeRef(p.Type.TypeName, p.Type.IsCollection)}"/>`,
    );
  }
  if (a.ReturnType)
    parts.push(`<ReturnType Type="${typeRef(a.ReturnType.TypeName, a.ReturnType.IsCollection)}"/>`);
  parts.push("</Action>");
}

/** The `/data/$metadata` document of a release (memoized: the same string for the same release). */
export function renderCsdl(release: EmulatorRelease): string {
  const cached = rendered.get(release);
  if (cached !== undefined) return cached;
  const parts: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    "<edmx:DataServices>",
    `<Schema Namespace="${NS}" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
  ];
  for (const e of release.publicEntities) entityType(parts, e);
  for (const e of release.enumerations) enumType(parts, e);
  for (const e of release.publicEntities) for (const a of e.Actions) action(parts, e, a);
  parts.push('<EntityContainer Name="Resources">');
  const setByEntity = new Map(release.publicEntities.map((e) => [e.Name, e.EntitySetName]));
  for (const e of release.publicEntities) {
    parts.push(`<EntitySet Name="${xmlAttr(e.EntitySetName)}" EntityType="${NS}.${xmlAttr(e.Name)}">`);
    for (const nav of e.NavigationProperties) {
      const target = setByEntity.get(nav.RelatedEntity);
      if (target)
        parts.push(`<NavigationPropertyBinding Path="${xmlAttr(nav.Name)}" Target="${xmlAttr(target)}"/>`);
    }
    parts.push("</EntitySet>");
  }
  parts.push("</EntityContainer>", "</Schema>", "</edmx:DataServices>", "</edmx:Edmx>");
  const xml = parts.join("\n");
  rendered.set(release, xml);
  return xml;
}
