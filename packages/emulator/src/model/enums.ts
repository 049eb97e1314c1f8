/** Public enumerations: the real samples (NoYes, CustAccountStatement, …) and D365-style generated ones. */
import type { PublicEnumerationJson } from "d365fo-client";
import type { GenerationContext } from "./context.js";
import type { LabelBook } from "./labels.js";
import type { Rng } from "./prng.js";
import { labelTextFromName } from "./text.js";
import { DOMAINS, ENTITY_NOUNS, ENUM_SUFFIXES, MEMBER_WORDS } from "./words.js";

function member(name: string, labelId: string | null, value: number, configurationEnabled = true) {
  return { Name: name, LabelId: labelId, Value: value, ConfigurationEnabled: configurationEnabled };
}

function specialEnums(labels: LabelBook): PublicEnumerationJson[] {
  return [
    {
      Name: "NoYes",
      LabelId: labels.fixed("@SYS11837", "No/Yes"),
      Members: [
        member("No", labels.fixed("@sys2048", "No"), 0),
        member("Yes", labels.fixed("@sys2049", "Yes"), 1),
      ],
    },
    {
      Name: "CustAccountStatement",
      LabelId: labels.fixed("@SYS14680", "Account statement"),
      Members: [
        member("Always", labels.fixed("@SYS14585", "Always"), 0),
        member("Quarter", labels.fixed("@SYS4759", "Quarter"), 1),
        member("Month", labels.fixed("@SYS6325", "Month"), 2),
        member("Never", labels.fixed("@SYS7264", "Never"), 3),
      ],
    },
    {
      Name: "LedgerJournalACType",
      LabelId: labels.fixed("@SYS12149", "Account type"),
      Members: [
        member("Ledger", labels.fixed("@SYS12217", "Ledger"), 0),
        member("Cust", labels.fixed("@SYS11307", "Customer"), 1),
        member("Vend", labels.fixed("@SYS8079", "Vendor"), 2),
        member("Project", labels.fixed("@SYS4534", "Project"), 5),
        member("FixedAssets", labels.fixed("@SYS67", "Fixed assets"), 6),
        member("Bank", labels.fixed("@SYS1517", "Bank"), 7),
      ],
    },
    {
      // Also a public entity: the enum/entity name clash of protocol §1.1.
      Name: "TaxDirection",
      LabelId: labels.fixed("@SYS21976", "Tax direction"),
      Members: [
        member("IncomingTax", labels.fixed("@SYS21977", "Sales tax payable"), 0),
        member("OutgoingTax", labels.fixed("@SYS21978", "Sales tax receivable"), 1),
        member("TaxExemptPurchase", labels.fixed("@SYS21979", "Tax-free purchase"), 2),
        member("TaxExemptSales", labels.fixed("@SYS21980", "Tax-free sales"), 3),
        member("UseTax", labels.fixed("@SYS21981", "Use tax"), 4, false),
      ],
    },
  ];
}

export function generateEnums(ctx: GenerationContext, rng: Rng): PublicEnumerationJson[] {
  const { labels } = ctx;
  const enums = specialEnums(labels);
  const names = new Set(enums.map((e) => e.Name));
  const memberLabels = new Map<string, string>();
  let attempts = 0;
  while (enums.length < ctx.size.enumerations && attempts++ < ctx.size.enumerations * 50) {
    const domain = rng.pick(DOMAINS);
    const noun = rng.chance(0.7) ? rng.pick(ENTITY_NOUNS) : "";
    const name = `${domain.prefix}${noun}${rng.pick(ENUM_SUFFIXES)}`;
    if (names.has(name)) continue;
    names.add(name);
    const labelId = rng.chance(0.03)
      ? null
      : labels.any(domain.labelFile, name, labelTextFromName(name), rng);
    const x = rng.next();
    const memberCount = x < 0.85 ? rng.int(2, 6) : x < 0.98 ? rng.int(7, 15) : rng.int(16, 45);
    const words = new Set<string>();
    while (words.size < Math.min(memberCount, MEMBER_WORDS.length)) words.add(rng.pick(MEMBER_WORDS));
    // Extensible enums get their values at database sync: gaps and large numbers (protocol §2.3).
    const extensible = rng.chance(0.1);
    let value = 0;
    const members = [...words].map((word, i) => {
      if (i > 0) value += extensible && rng.chance(0.4) ? rng.int(2, 40) : 1;
      let memberLabel: string | null;
      const y = rng.next();
      if (y < 0.03) memberLabel = null;
      else if (y < 0.2)
        memberLabel = labels.any(domain.labelFile, `${name}_${word}`, labelTextFromName(word), rng);
      else {
        memberLabel = memberLabels.get(word) ?? null;
        if (memberLabel === null) {
          memberLabel = labels.sys(labelTextFromName(word), rng);
          memberLabels.set(word, memberLabel);
        }
      }
      return member(word, memberLabel, value, !rng.chance(0.04));
    });
    enums.push({ Name: name, LabelId: labelId, Members: members });
  }
  for (const e of enums) ctx.enumsByName.set(e.Name, e);
  return enums;
}
