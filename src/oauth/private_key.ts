/**
 * The client's private key for `private_key_jwt` client authentication (RFC 7523), read from an
 * environment variable: a PKCS#8 PEM, or a private JWK as JSON (whose `kid` is then used).
 *
 * @module
 */
import { loadJose } from "../deps.ts";
import { ConfigError } from "../errors.ts";

export interface ClientPrivateKey {
  key: CryptoKey;
  kid?: string;
}

const PEM_ALGS = ["RS256", "ES256", "ES384", "ES512", "EdDSA"];

/** Import the key; `variable` names where it came from, for error messages. */
export async function importPrivateKey(text: string, variable: string): Promise<ClientPrivateKey> {
  const jose = await loadJose();
  const value = text.trim().replace(/\\n/g, "\n");
  if (value.startsWith("{")) {
    try {
      const jwk = JSON.parse(value) as { alg?: string; kid?: string; kty?: string; crv?: string };
      const alg = jwk.alg ??
        (jwk.kty === "RSA" ? "RS256" : jwk.kty === "OKP" ? "EdDSA" : crvAlg(jwk.crv));
      const key = await jose.importJWK(jwk, alg);
      if (!(key instanceof CryptoKey) || key.type !== "private") {
        throw new Error("not a private key");
      }
      return jwk.kid ? { key, kid: jwk.kid } : { key };
    } catch (err) {
      throw badKey(variable, err);
    }
  }
  if (!value.includes("-----BEGIN PRIVATE KEY-----")) {
    throw badKey(variable, new Error("expected a PKCS#8 PEM (BEGIN PRIVATE KEY) or a JWK"));
  }
  for (const alg of PEM_ALGS) {
    try {
      return { key: await jose.importPKCS8(value, alg) };
    } catch { /* try the next algorithm */ }
  }
  throw badKey(variable, new Error("unsupported key type"));
}

function crvAlg(crv: string | undefined): string {
  return crv === "P-384" ? "ES384" : crv === "P-521" ? "ES512" : "ES256";
}

function badKey(variable: string, err: unknown): ConfigError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError(
    "PRIVATE_KEY_INVALID",
    `the private key in ${variable} cannot be used: ${reason}`,
    {
      hint: "give a PKCS#8 PEM (openssl pkcs8 -topk8 -nocrypt) or a private JWK (RSA, EC or OKP)",
      cause: err,
    },
  );
}
