/**
 * Child process for the read-only directory test when it must run as another user: opens the
 * cache in argv[2], reads, searches, tries a write, and prints what happened as JSON.
 */
import { openMetadataStore } from "../../../packages/client/src/store/index.js";

const store = await openMetadataStore({ cacheDir: process.argv[2], cacheUrl: "" });
const description = await store.describe();
const versions = await store.listVersions();
const versionId = versions[0]?.id ?? 0;
const names = await store.listPublicEntityNames(versionId);
const search = await store.search({
  versionId,
  terms: ["customer"],
  prefixLastTerm: true,
  language: "en-us",
  limit: 5,
  offset: 0,
});
const writeError = await store
  .ensureEnvironment("https://a.example.com")
  .then(() => undefined)
  .catch((e: { code?: string }) => e.code);
await store.close();
process.stdout.write(
  JSON.stringify({ readOnly: description.readOnly, names, total: search.total, writeError }),
);
