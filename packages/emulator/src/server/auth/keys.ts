/**
 * Key material generated at start: the token signing key pair (RS256, jose) and the self-signed TLS
 * certificate of the token service (selfsigned). Generation costs ~0.3 s, so it is done once per
 * process and shared by every emulator in it (each still has its own listeners and audiences).
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";
import { generate } from "selfsigned";

export interface EmulatorKeys {
  signingKey: CryptoKey;
  verifyKey: CryptoKey;
  /** Public JWK with `kid`, `use`, `alg` for the JWKS document. */
  publicJwk: JWK;
  kid: string;
  tlsKey: string;
  tlsCert: string;
}

let keys: Promise<EmulatorKeys> | undefined;

export function emulatorKeys(): Promise<EmulatorKeys> {
  keys ??= createKeys();
  return keys;
}

async function createKeys(): Promise<EmulatorKeys> {
  const [pair, tls] = await Promise.all([
    generateKeyPair("RS256", { extractable: true }),
    generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048,
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
      extensions: [
        // A CA flag so the certificate can be its own trust anchor (NODE_EXTRA_CA_CERTS, `ca`).
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: "::1" },
            { type: 2, value: "localhost" },
          ],
        },
      ],
    }),
  ]);
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = "d365fo-emulator-1";
  return {
    signingKey: pair.privateKey,
    verifyKey: pair.publicKey,
    publicJwk: { ...publicJwk, kid, use: "sig", alg: "RS256" },
    kid,
    tlsKey: tls.private,
    tlsCert: tls.cert,
  };
}
