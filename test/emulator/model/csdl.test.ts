import { describe, expect, it } from "vitest";
import { generateRelease, renderCsdl } from "../../../packages/emulator/src/model/index.js";

/** A tag-balance check: every opened element is closed in order; returns the element counts. */
function parseCheck(xml: string): Map<string, number> {
  const counts = new Map<string, number>();
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  xml = xml.replace(/^<\?xml[^>]*\?>/, "");
  for (const m of xml.matchAll(tag)) {
    const between = xml.slice(last, m.index);
    if (between.includes("<") || between.includes(">"))
      throw new Error(`Stray markup near ${between.slice(0, 80)}`);
    last = (m.index ?? 0) + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (!selfClose) stack.push(name);
    }
  }
  if (xml.slice(last).trim() !== "") throw new Error("Trailing content");
  if (stack.length > 0) throw new Error(`Unclosed: ${stack.join(",")}`);
  return counts;
}

describe("renderCsdl", () => {
  it("the checker rejects unbalanced XML (it can fail)", () => {
    expect(() => parseCheck("<a><b></a></b>")).toThrow();
    expect(() => parseCheck("<a>")).toThrow();
  });

  it.each(["tiny", "medium"] as const)(
    "%s: well-formed, one EntityType and EntitySet per public entity, one EnumType per enum",
    (preset) => {
      const release = generateRelease({ preset });
      const xml = renderCsdl(release);
      const counts = parseCheck(xml);
      expect(counts.get("EntityType")).toBe(release.publicEntities.length);
      expect(counts.get("EntitySet")).toBe(release.publicEntities.length);
      expect(counts.get("EnumType")).toBe(release.enumerations.length);
      expect(counts.get("Action")).toBe(release.publicEntities.reduce((n, e) => n + e.Actions.length, 0));
      expect(counts.get("edmx:Edmx")).toBe(1);
      expect(counts.get("EntityContainer")).toBe(1);
      expect(xml).toContain('<Schema Namespace="Microsoft.Dynamics.DataEntities"');
      expect(xml).toContain('<EntityContainer Name="Resources">');
    },
  );

  it("renders CustomerV3, enums, navigation, labels and the versioning actions like $metadata", () => {
    const release = generateRelease({ preset: "tiny" });
    const xml = renderCsdl(release);
    expect(xml).toContain('<EntityType Name="CustomerV3"><Key>');
    expect(xml).toMatch(
      /<EntityType Name="CustomerV3"><Key>\n<PropertyRef Name="dataAreaId"\/>\n<PropertyRef Name="CustomerAccount"\/>\n<\/Key>/,
    );
    expect(xml).toContain(
      '<Property Name="AccountStatement" Type="Microsoft.Dynamics.DataEntities.CustAccountStatement"',
    );
    expect(xml).toContain(
      '<Annotation Term="Microsoft.Dynamics.OData.Core.V1.LabelId" String="@AccountsReceivable:CustCustomerV3EntityLabel"/>',
    );
    expect(xml).toContain(
      '<Member Name="No" Value="0"><Annotation Term="Microsoft.Dynamics.OData.Core.V1.LabelId" String="@sys2048"/></Member>',
    );
    expect(xml).toContain(
      '<NavigationProperty Name="CustomerGroup" Type="Microsoft.Dynamics.DataEntities.CustomerGroup"',
    );
    expect(xml).toContain(
      '<ReferentialConstraint Property="CustomerGroupId" ReferencedProperty="CustomerGroupId"/>',
    );
    expect(xml).toContain('<Property Name="CreditLimit" Type="Edm.Decimal"');
    expect(xml).toContain(
      '<EntitySet Name="SystemNotifications" EntityType="Microsoft.Dynamics.DataEntities.SystemNotification">',
    );
    expect(xml).toContain(
      '<EntitySet Name="DataManagementEntities" EntityType="Microsoft.Dynamics.DataEntities.DataManagementEntity">',
    );
    expect(xml).toMatch(
      /<Action Name="GetInstalledModules" IsBound="true">\n<Parameter Name="_bindingParameter" Type="Collection\(Microsoft.Dynamics.DataEntities.SystemNotification\)"\/>\n<ReturnType Type="Collection\(Edm.String\)"\/>/,
    );
    for (const name of ["GetApplicationVersion", "GetApplicationBuildVersion", "GetPlatformBuildVersion"]) {
      expect(xml).toMatch(
        new RegExp(
          `<Action Name="${name}" IsBound="true">\\n<Parameter Name="_bindingParameter" Type="Collection\\(Microsoft.Dynamics.DataEntities.DataManagementEntity\\)"/>\\n<ReturnType Type="Edm.String"/>`,
        ),
      );
    }
  });

  it("is memoized per release and differs between upgrade steps", () => {
    const r0 = generateRelease({ preset: "tiny" });
    expect(renderCsdl(r0)).toBe(renderCsdl(r0));
    expect(renderCsdl(generateRelease({ preset: "tiny", upgradeStep: 1 }))).not.toBe(renderCsdl(r0));
  });
});
