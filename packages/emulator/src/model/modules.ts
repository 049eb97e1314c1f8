/**
 * The installed-module list of a release (what `GetInstalledModules` answers) and the product
 * version builds it is consistent with (protocol §3.4).
 */
import { Rng } from "./prng.js";
import type { EmulatorRelease, InstalledModule } from "./types.js";

/** GA builds per product version (fscps versions table, protocol §3.4). */
export interface ProductBuild {
  productVersion: string;
  /** App build without its revision, e.g. `10.0.2177`. */
  appBuild: string;
  appRevision: number;
  /** Platform build without its revision, e.g. `7.0.7521`. */
  platformBuild: string;
  platformRevision: number;
}

export const PRODUCT_BUILDS: readonly ProductBuild[] = [
  {
    productVersion: "10.0.41",
    appBuild: "10.0.2015",
    appRevision: 54,
    platformBuild: "7.0.7367",
    platformRevision: 49,
  },
  {
    productVersion: "10.0.42",
    appBuild: "10.0.2095",
    appRevision: 59,
    platformBuild: "7.0.7452",
    platformRevision: 66,
  },
  {
    productVersion: "10.0.43",
    appBuild: "10.0.2177",
    appRevision: 37,
    platformBuild: "7.0.7521",
    platformRevision: 60,
  },
  {
    productVersion: "10.0.44",
    appBuild: "10.0.2263",
    appRevision: 26,
    platformBuild: "7.0.7606",
    platformRevision: 79,
  },
  {
    productVersion: "10.0.45",
    appBuild: "10.0.2345",
    appRevision: 35,
    platformBuild: "7.0.7690",
    platformRevision: 33,
  },
  {
    productVersion: "10.0.46",
    appBuild: "10.0.2428",
    appRevision: 63,
    platformBuild: "7.0.7778",
    platformRevision: 29,
  },
];

/** The odd version some Microsoft mobile/common models report (protocol §3.4). */
export const MOBILE_MODEL_VERSION = "10.34.2105.34092";

export type ModuleKind = "platform" | "application" | "mobile" | "isv";

export interface ModuleTemplate {
  name: string;
  moduleId: string;
  publisher: string;
  displayName: string;
  kind: ModuleKind;
  /** ISV modules: their own version. */
  version?: string;
}

const PLATFORM: readonly ModuleTemplate[] = [
  pm("ApplicationPlatform", "Application Platform"),
  pm("ApplicationFoundation", "Application Foundation"),
  pm("ApplicationWorkspaces", "Application Workspaces"),
  pm("TestEssentials", "Test Essentials"),
  pm("PerformanceTool", "Performance Tool"),
  pm("UnitTestFramework", "Unit Test Framework"),
];

const MOBILE: readonly ModuleTemplate[] = [
  { ...am("ApplicationCommon", "Application Common"), publisher: "Microsoft", kind: "mobile" },
  { ...am("AccountsPayableMobile", "Accounts Payable Mobile"), kind: "mobile" },
  { ...am("AdvancedQualityManagement", "Advanced Quality Management"), kind: "mobile" },
  { ...am("HCMMobile", "Human Capital Management Mobile"), kind: "mobile" },
];

/** Real Microsoft application packages first; the tail of a large list is composed below. */
const APPLICATION: readonly ModuleTemplate[] = [
  am("ApplicationSuite", "Application Suite"),
  { ...am("Foundation", "Application Suite – Foundation"), moduleId: "ApplicationSuite" },
  am("Directory", "Directory"),
  am("GeneralLedger", "General Ledger"),
  am("Ledger", "Ledger"),
  am("Currency", "Currency"),
  am("Calendar", "Calendar"),
  am("Dimensions", "Dimensions"),
  am("Tax", "Tax"),
  am("TaxEngine", "Tax Engine"),
  am("SourceDocumentation", "Source Documentation"),
  am("SourceDocumentationTypes", "Source Documentation Types"),
  am("Subledger", "Subledger"),
  am("ContactPerson", "Contact Person"),
  am("CaseManagement", "Case Management"),
  am("PersonnelCore", "Personnel Core"),
  am("PersonnelManagement", "Personnel Management"),
  am("Personnel", "Personnel"),
  am("Project", "Project"),
  { ...am("Retail", "Retail & Commerce – Core (Preview)"), publisher: "Microsoft" },
  am("RetailCommerce", "Retail and Commerce"),
  am("FixedAssets", "Fixed Assets"),
  am("Budgeting", "Budgeting"),
  am("CostAccounting", "Cost Accounting"),
  am("ElectronicReporting", "Electronic Reporting"),
  am("ElectronicReportingCore", "Electronic Reporting Core"),
  am("ElectronicReportingMapping", "Electronic Reporting Mapping"),
  am("ExpenseManagement", "Expense Management"),
  am("FiscalBooks", "Fiscal Books (Brazil)"),
  am("FiscalIntegration", "Fiscal Integration"),
  am("MasterPlanning", "Master Planning"),
  am("UnitOfMeasure", "Unit of Measure"),
  am("BankTypes", "Bank Types"),
  am("CashManagement", "Cash Management"),
  am("Warehouse", "Warehouse Management"),
  am("Transportation", "Transportation Management"),
  am("ProductInformationManagement", "Product Information Management"),
  am("ProductionControl", "Production Control"),
  am("Procurement", "Procurement and Sourcing"),
  am("SalesAndMarketing", "Sales and Marketing"),
  am("AccountsReceivable", "Accounts Receivable"),
  am("AccountsPayable", "Accounts Payable"),
  am("Payroll", "Payroll (United States)"),
  am("Kanban", "Lean Manufacturing – Kanban"),
  am("QualityManagement", "Quality Management"),
  am("DataManagement", "Data Management Framework"),
  am("DocumentRouting", "Document Routing"),
  am("GlobalAddressBook", "Global Address Book"),
  am("IntercompanyTrade", "Intercompany Trade"),
  am("Consolidation", "Financial Consolidation"),
  am("Localization", "Localization, Core"),
];

const FEATURE_WORDS: readonly string[] = [
  "Integration",
  "Workspaces",
  "Analytics",
  "Reporting",
  "Localization",
  "Extensions",
  "Mobile",
  "Automation",
  "Compliance",
  "Planning",
  "Upgrade",
  "Forms",
  "Services",
  "Documents",
  "Costing",
];

const COUNTRIES: readonly [string, string][] = [
  ["BR", "Brazil"],
  ["IN", "India"],
  ["RU", "Russia"],
  ["IT", "Italy"],
  ["MX", "Mexico"],
  ["FR", "France"],
  ["PL", "Poland"],
  ["JP", "Japan"],
  ["CN", "China"],
  ["DE", "Germany"],
  ["ES", "Spain"],
  ["NL", "Netherlands"],
];

const ISVS: readonly ModuleTemplate[] = [
  isv("DXCLicenseManager", "DXC Technology", "DXC License Manager", "10.0.40.202410231"),
  isv("ContosoExtensions", "Contoso, Ltd.", "Contoso | Warehouse Add-on", "1.4.0.12"),
  isv("DXCCareServices", "DXC Technology", "DXC Care Services", "10.0.40.202409051"),
  isv("FabrikamRetailConnector", "Fabrikam, Inc.", "Fabrikam – Retail Connector (EU)", "2024.11.3.7"),
  isv("AdventureWorksEDI", "Adventure Works Cycles", "EDI for D365 F&O", "3.2.18.0"),
  isv("NorthwindPayroll", "Northwind Traders (ISV)", "Northwind Payroll: DACH", "10.0.43.1"),
  isv("TailspinTMS", "Tailspin Toys", "Tailspin TMS", "7.1.0.145"),
  isv("WingtipBanking", "Wingtip Toys & Co.", "Wingtip Bank Statements", "22.3.1.0"),
  isv("LitwareAnalytics", "Litware, Inc.", "Litware Analytics [Preview]", "0.9.7.3001"),
  isv("ProsewareCompliance", "Proseware, Inc.", "Proseware Compliance", "10.0.41.240115"),
];

function pm(name: string, displayName: string): ModuleTemplate {
  return { name, moduleId: name, publisher: "Microsoft Corporation", displayName, kind: "platform" };
}

function am(name: string, displayName: string): ModuleTemplate {
  return { name, moduleId: name, publisher: "Microsoft Corporation", displayName, kind: "application" };
}

function isv(name: string, publisher: string, displayName: string, version: string): ModuleTemplate {
  return { name, moduleId: name, publisher, displayName, kind: "isv", version };
}

/**
 * The module templates of a preset with `count` modules: platform and a few mobile models, the
 * real application packages, composed application packages for the rest, and ISVs (~5 %).
 */
export function moduleTemplates(count: number, rng: Rng): ModuleTemplate[] {
  const isvCount = Math.max(1, Math.min(ISVS.length, Math.round(count * 0.05)));
  const platformCount = count < 20 ? 2 : PLATFORM.length;
  const mobileCount = count < 20 ? 1 : MOBILE.length;
  const out: ModuleTemplate[] = [
    ...PLATFORM.slice(0, platformCount),
    ...MOBILE.slice(0, mobileCount),
    ...ISVS.slice(0, isvCount),
  ];
  const appCount = count - out.length;
  const apps = APPLICATION.slice(0, appCount);
  const names = new Set([...out, ...apps].map((m) => m.name));
  while (apps.length < appCount) {
    let name: string;
    let displayName: string;
    if (rng.chance(0.3)) {
      const [code, country] = rng.pick(COUNTRIES);
      const base = rng.pick(APPLICATION);
      name = `${base.name}${code}`;
      displayName = `${base.displayName} (${country})`;
    } else {
      const base = rng.pick(APPLICATION);
      const feature = rng.pick(FEATURE_WORDS);
      name = `${base.name}${feature}`;
      displayName = `${base.displayName} ${feature}`;
    }
    if (names.has(name)) continue;
    names.add(name);
    apps.push(am(name, displayName));
  }
  return [...out, ...apps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Modules with versions for a build: app models carry the app build, platform models the platform build. */
export function instantiateModules(
  templates: readonly ModuleTemplate[],
  build: { applicationBuildVersion: string; platformBuildVersion: string },
  isvVersions: ReadonlyMap<string, string>,
): InstalledModule[] {
  return templates.map((t) => ({
    name: t.name,
    moduleId: t.moduleId,
    publisher: t.publisher,
    displayName: t.displayName,
    version:
      t.kind === "platform"
        ? build.platformBuildVersion
        : t.kind === "application"
          ? build.applicationBuildVersion
          : t.kind === "mobile"
            ? MOBILE_MODEL_VERSION
            : (isvVersions.get(t.name) ?? (t.version as string)),
  }));
}

/** A later free-form ISV version: the last numeric part grows. */
export function bumpIsvVersion(version: string, rng: Rng): string {
  const parts = version.split(".");
  const last = Number(parts[parts.length - 1]);
  parts[parts.length - 1] = String((Number.isFinite(last) ? last : 0) + rng.int(1, 9));
  return parts.join(".");
}

/** The `GetInstalledModules` strings of a release. */
export function moduleLines(release: Pick<EmulatorRelease, "modules">): string[] {
  return release.modules.map(
    (m) =>
      `Name: ${m.name} | Version: ${m.version} | Module: ${m.moduleId} | Publisher: ${m.publisher} | DisplayName: ${m.displayName}`,
  );
}

export function pickProductBuild(seed: number): ProductBuild {
  return Rng.derive(seed, "product").pick(PRODUCT_BUILDS);
}
