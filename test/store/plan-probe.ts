import Database from "better-sqlite3";
import { generateRelease } from "../../src/emulator/model/index.js";
import { openMetadataStore } from "../../src/store/index.js";
import { makeTempDir } from "./fixtures.js";
import { loadRelease, releaseModels } from "./release-loader.js";

const temp = makeTempDir();
const store = openMetadataStore({ cacheDir: temp.dir });
const { versionId } = loadRelease(store, releaseModels(generateRelease({ preset: "tiny" })));
store.close();
const db = new Database(`${temp.dir}/metadata-v2.db`);
const sql = process.argv[2];
for (const r of db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({
  v: versionId,
  match: '"customer"',
  lang: "en-us",
  key: "customer",
  keylen: 8,
  limit: 20,
  offset: 0,
}) as { detail: string }[])
  console.log(r.detail);
db.close();
temp.cleanup();
