import { inspect } from "node:util";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { scopeFor, scrubSecrets, TokenProvider } from "../../packages/client/src/auth/token-provider.js";
import { AuthenticationError } from "../../packages/client/src/errors.js";

function fakeCredential(lifetimeMs: number, now: () => number) {
  const scopes: string[] = [];
  let n = 0;
  const credential: TokenCredential = {
    getToken: async (scope): Promise<AccessToken> => {
      scopes.push(scope as string);
      await new Promise((r) => setImmediate(r));
      return { token: `tok-${++n}`, expiresOnTimestamp: now() + lifetimeMs };
    },
  };
  return { credential, scopes };
}

describe("TokenProvider", () => {
  it("asks for <base url>/.default", () => {
    expect(scopeFor("https://Contoso.operations.dynamics.com/")).toBe(
      "https://contoso.operations.dynamics.com/.default",
    );
  });

  it("caches until 5 minutes before expiry, then refreshes", async () => {
    let now = 0;
    const { credential, scopes } = fakeCredential(60 * 60_000, () => now);
    const provider = new TokenProvider(credential, "https://a.b", { now: () => now });
    expect(await provider.getToken()).toBe("tok-1");
    now = 54 * 60_000;
    expect(await provider.getToken()).toBe("tok-1");
    now = 56 * 60_000;
    expect(await provider.getToken()).toBe("tok-2");
    expect(scopes).toEqual(["https://a.b/.default", "https://a.b/.default"]);
  });

  it("shares one fetch among concurrent callers and refreshes on demand", async () => {
    const { credential } = fakeCredential(3_600_000, Date.now);
    const provider = new TokenProvider(credential, "https://a.b");
    const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.getToken()));
    expect(new Set(tokens)).toEqual(new Set(["tok-1"]));
    expect(provider.fetches).toBe(1);
    expect(await provider.getToken({ forceRefresh: true })).toBe("tok-2");
  });

  it("turns credential failures into AuthenticationError without secrets or tokens", async () => {
    const secret = "Very-Secret-Client-Secret-42";
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl";
    const credential: TokenCredential = {
      getToken: async () => {
        throw new Error(`AADSTS7000215: Invalid client secret provided (${secret}) previous token ${jwt}`);
      },
    };
    const error = await new TokenProvider(credential, "https://a.b", { secrets: [secret] })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    const dump = `${(error as Error).message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
    expect(dump).toContain("AADSTS7000215");
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(jwt);
  });

  it("scrubs JWT-shaped strings and given secrets", () => {
    expect(scrubSecrets("a eyJabcd.eyJefgh.sig b secretvalue", ["secretvalue"])).toBe(
      "a [redacted-token] b [redacted]",
    );
  });

  it("refreshes halfway through a lifetime shorter than the margin instead of on every call", async () => {
    let now = 0;
    const { credential } = fakeCredential(4 * 60_000, () => now);
    const provider = new TokenProvider(credential, "https://a.b", { now: () => now });
    expect(await provider.getToken()).toBe("tok-1");
    now = 60_000;
    expect(await provider.getToken()).toBe("tok-1");
    now = 2 * 60_000 + 1;
    expect(await provider.getToken()).toBe("tok-2");
  });
});
