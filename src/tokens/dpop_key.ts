/**
 * The env's DPoP key pair (ES256), kept beside its tokens as `<cache>/lmi/tokens/<env>.dpop.jwk`
 * (a private JWK, mode 0600, written whole and read under the cache's one rule). A key that is
 * missing, unreadable or unsafe is replaced by a new one, and tokens bound to the old key are then
 * not used.
 *
 * @module
 */
import type { DpopKey } from "../context.ts";
import { jwkThumbprint } from "../http/dpop.ts";
import type { Logger } from "../ui/log.ts";
import { readPrivateFile, unsafeFileWarning, writeFileAtomic } from "./files.ts";

const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;

/** A DPoP key from a private P-256 JWK; throws when it is not one. */
export async function dpopKeyFromJwk(jwk: JsonWebKey): Promise<DpopKey> {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y || !jwk.d) {
    throw new Error("not a private P-256 JWK");
  }
  const publicJwk = { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey("jwk", { ...publicJwk, d: jwk.d }, ALG, false, ["sign"]),
    crypto.subtle.importKey("jwk", publicJwk, ALG, true, ["verify"]),
  ]);
  return { privateKey, publicKey, publicJwk, jkt: await jwkThumbprint(publicJwk) };
}

/** A new key pair and its private JWK (to store). */
export async function generateDpopKey(): Promise<{ key: DpopKey; jwk: JsonWebKey }> {
  const pair = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const full = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const jwk: JsonWebKey = { kty: "EC", crv: "P-256", x: full.x!, y: full.y!, d: full.d! };
  return { key: await dpopKeyFromJwk(jwk), jwk };
}

/** The stored key, or undefined (said at the right level) when there is none usable. */
export async function readDpopKey(path: string, log?: Logger): Promise<DpopKey | undefined> {
  const read = await readPrivateFile(path);
  if (read.state === "missing") return undefined;
  if (read.state === "unsafe") {
    log?.warn(unsafeFileWarning(path, read.why));
    return undefined;
  }
  if (read.state === "error") {
    log?.warn(`ignoring the DPoP key ${path} (${read.reason}); a new one will be made`);
    return undefined;
  }
  try {
    return await dpopKeyFromJwk(JSON.parse(read.text) as JsonWebKey);
  } catch (err) {
    log?.warn(`ignoring the DPoP key ${path} (${(err as Error).message}); a new one will be made`);
    return undefined;
  }
}

/** The stored key, or a new one written in its place. Call it with the env's lock held. */
export async function loadOrCreateDpopKey(
  path: string,
  log: Logger,
): Promise<{ key: DpopKey; created: boolean }> {
  const existing = await readDpopKey(path, log);
  if (existing) return { key: existing, created: false };
  const { key, jwk } = await generateDpopKey();
  await writeFileAtomic(path, JSON.stringify(jwk) + "\n");
  log.info(`made a new DPoP key ${path} (thumbprint ${key.jkt})`);
  return { key, created: true };
}
