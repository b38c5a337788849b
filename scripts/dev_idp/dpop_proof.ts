/**
 * DPoP proofs at the token endpoint for the grants the dev IdP adds itself (RFC 9449 §4.3), as
 * oidc-provider checks them for its own grants: a `dpop+jwt` signed by the embedded public JWK,
 * `htm` POST, `htu` the token endpoint (without query and fragment), a recent `iat`, a `jti` not
 * seen before. Nonces are not demanded here (oidc-provider keeps its nonce secret to itself); a
 * proof carrying one is accepted.
 *
 * @module
 */
import { jose } from "../deps.ts";
import { errors, type KoaContext, type OidcContext, type OidcProvider } from "./oidc_types.ts";

/** How far `iat` may be from now, in seconds (oidc-provider's window). */
const IAT_WINDOW = 300;
const ALGORITHMS = ["ES256", "Ed25519", "EdDSA"];

/**
 * The JWK thumbprint of the request's DPoP proof, or undefined when it carries none; throws
 * `invalid_dpop_proof` (400) for a proof that does not pass.
 */
export async function checkTokenDpop(
  provider: OidcProvider,
  ctx: KoaContext & { oidc: OidcContext },
): Promise<string | undefined> {
  const proof = ctx.get("dpop");
  if (!proof) return undefined;
  let payload: jose.JWTPayload;
  let header: jose.JWTHeaderParameters;
  try {
    ({ payload, protectedHeader: header } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: ALGORITHMS,
    }));
  } catch (err) {
    throw new errors.InvalidDpopProof(`invalid DPoP key binding: ${(err as Error).message}`);
  }
  if (typeof payload.iat !== "number" || !payload.iat) {
    throw new errors.InvalidDpopProof("DPoP proof must have a iat number property");
  }
  if (Math.abs(Math.floor(Date.now() / 1000) - payload.iat) > IAT_WINDOW) {
    throw new errors.InvalidDpopProof("DPoP proof iat is not recent enough");
  }
  if (typeof payload.jti !== "string" || !payload.jti) {
    throw new errors.InvalidDpopProof("DPoP proof must have a jti string property");
  }
  if (payload.nonce !== undefined && typeof payload.nonce !== "string") {
    throw new errors.InvalidDpopProof("DPoP proof nonce must be a string");
  }
  if (payload.htm !== ctx.method || ctx.method !== "POST") {
    throw new errors.InvalidDpopProof("DPoP proof htm mismatch");
  }
  const actual = typeof payload.htu === "string" ? URL.parse(payload.htu) : null;
  if (actual) {
    actual.search = "";
    actual.hash = "";
  }
  if (actual?.href !== new URL(ctx.oidc.urlFor("token")).href) {
    throw new errors.InvalidDpopProof("DPoP proof htu mismatch");
  }
  const unique = await provider.ReplayDetection.unique(
    ctx.oidc.client.clientId,
    payload.jti,
    payload.iat + IAT_WINDOW,
  );
  if (!unique) throw new errors.InvalidDpopProof("DPoP proof JWT Replay detected");
  return await jose.calculateJwkThumbprint(header.jwk!);
}
