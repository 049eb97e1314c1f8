import { generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthorizationChecker,
  checkAuthorization,
  signAccessToken,
} from "../../../packages/emulator/src/server/auth/tokens.js";

const AUDIENCE = "http://127.0.0.1:1234";
const TENANT = "7e1d3c5a-0f2b-4d6e-9a8c-1b2d3e4f5a6b";

async function setup(lifetimeSeconds: number) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const token = await signAccessToken(
    {
      audience: AUDIENCE,
      tenantId: TENANT,
      clientId: "app",
      issuer: "https://issuer",
      lifetimeSeconds,
      tokenId: "t1",
    },
    privateKey,
    "k1",
  );
  const expect_ = { verifyKey: publicKey, audience: AUDIENCE, tenantId: TENANT, clientIds: new Set(["app"]) };
  return { header: `Bearer ${token}`, expect: expect_ };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("AuthorizationChecker", () => {
  it("answers like checkAuthorization for valid and invalid tokens", async () => {
    const { header, expect: e } = await setup(600);
    const checker = new AuthorizationChecker();
    expect(await checker.check(header, e)).toEqual(await checkAuthorization(header, e));
    expect(await checker.check(header, e)).toEqual({ ok: true, clientId: "app" });
    // A token cached as valid for one audience is still checked against another.
    expect(await checker.check(header, { ...e, audience: `${AUDIENCE}/` })).toEqual({
      ok: false,
      reason: "wrong-audience",
    });
    expect(await checker.check("Bearer x.y.z", e)).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses a cached token once it has expired", async () => {
    const { header, expect: e } = await setup(60);
    const checker = new AuthorizationChecker();
    expect((await checker.check(header, e)).ok).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 120_000);
    expect(await checker.check(header, e)).toEqual({ ok: false, reason: "expired" });
  });
});
