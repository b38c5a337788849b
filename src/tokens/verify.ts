/**
 * Verifying JWT access tokens with jose: signature against the issuer's JWKS (cached beside the
 * tokens as `<env>.jwks.json`, refetched once on an unknown `kid`), `iss`, `exp`/`nbf` with a
 * small clock tolerance, and `aud` when the env configures an audience. Opaque tokens pass
 * through unverified; they rely on `expires_in`.
 *
 * @module
 */
import { loadJoseVerify } from "../deps.ts";
import { assertSecureEndpoint } from "../http/transport.ts";
import type { Logger } from "../ui/log.ts";
import { writeFileAtomic } from "./files.ts";
import { AuthError } from "../errors.ts";
import { snippet } from "../oauth/errors.ts";
import { looksLikeJwt } from "./token_set.ts";

/** Accepted clock difference between lmi's machine and the IdP, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

export interface JwksCacheEntry {
  /** The issuer the env's config names (discovery input); a change of config is a cache miss. */
  config_issuer?: string;
  issuer: string;
  jwks_uri: string;
  keys: Record<string, unknown>[];
  fetched_at: string;
}

export interface IssuerKeys {
  issuer: string;
  jwks_uri: string;
}

export type Verdict =
  | { ok: true; verified: boolean; exp?: number; note?: string }
  | { ok: false; reason: string };

export interface VerifierOptions {
  /** `<env>.jwks.json`, or undefined when there is no usable cache folder. */
  path: string | undefined;
  fetch: typeof globalThis.fetch;
  now(): number;
  log: Logger;
  /** Where the issuer's keys are, found by discovery; undefined when the env has no issuer. */
  issuerKeys(): Promise<IssuerKeys | undefined>;
  /** The issuer the config names: a cached JWKS for another issuer is not used. */
  configIssuer?: string | undefined;
}

/** A verifier bound to one env's JWKS cache file. */
export function createVerifier(options: VerifierOptions) {
  const { path, log } = options;
  let memory: JwksCacheEntry | undefined;

  function readEntry(): JwksCacheEntry | undefined {
    if (memory) return memory;
    if (!path) return undefined;
    try {
      const text = Deno.readTextFileSync(path);
      const entry = JSON.parse(text) as JwksCacheEntry;
      if (
        typeof entry.issuer !== "string" || typeof entry.jwks_uri !== "string" ||
        !Array.isArray(entry.keys) || entry.config_issuer !== options.configIssuer
      ) {
        return undefined;
      }
      return memory = entry;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        log.info(`ignoring unreadable JWKS cache ${path}`);
      }
      return undefined;
    }
  }

  async function fetchEntry(keys: IssuerKeys): Promise<JwksCacheEntry> {
    assertSecureEndpoint(keys.jwks_uri, "jwks_uri");
    const res = await options.fetch(keys.jwks_uri, { headers: { accept: "application/json" } });
    const text = await res.text();
    let body: { keys?: unknown } | undefined;
    try {
      body = JSON.parse(text);
    } catch { /* reported below */ }
    if (!res.ok || !Array.isArray(body?.keys)) {
      const what = !res.ok ? `answered HTTP ${res.status}` : "returned no usable key set";
      throw new AuthError(
        "JWKS_UNAVAILABLE",
        `the IdP's JWKS at ${keys.jwks_uri} ${what}: ${snippet(text)}`,
        {
          hint:
            "lmi needs the issuer's signing keys to verify tokens; check the issuer URL and the IdP's health",
          status: res.status,
        },
      );
    }
    const entry: JwksCacheEntry = {
      ...(options.configIssuer ? { config_issuer: options.configIssuer } : {}),
      issuer: keys.issuer,
      jwks_uri: keys.jwks_uri,
      keys: body!.keys as Record<string, unknown>[],
      fetched_at: new Date(options.now()).toISOString(),
    };
    memory = entry;
    if (path) {
      await writeFileAtomic(path, JSON.stringify(entry, null, 2) + "\n").catch((err) =>
        log.info(`could not cache the JWKS at ${path}: ${err instanceof Error ? err.message : err}`)
      );
    }
    return entry;
  }

  return {
    /** Verify `token` (if it is a JWT). `audience` is checked when given. */
    async verify(token: string, audience: string | undefined): Promise<Verdict> {
      if (!looksLikeJwt(token)) return { ok: true, verified: false, note: "opaque token" };
      const jose = await loadJoseVerify();
      let entry = readEntry();
      let refetched = false;
      if (!entry) {
        const keys = await options.issuerKeys();
        if (!keys) {
          return { ok: true, verified: false, note: "no issuer configured, signature not checked" };
        }
        entry = await fetchEntry(keys);
        refetched = true;
      }
      for (;;) {
        try {
          const { payload } = await jose.jwtVerify(
            token,
            jose.createLocalJWKSet({ keys: entry.keys }),
            {
              issuer: entry.issuer,
              ...(audience ? { audience } : {}),
              clockTolerance: CLOCK_TOLERANCE_S,
              currentDate: new Date(options.now()),
            },
          );
          return { ok: true, verified: true, ...(payload.exp ? { exp: payload.exp * 1000 } : {}) };
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === "ERR_JWKS_NO_MATCHING_KEY" && !refetched) {
            log.info("token signed with a key not in the cached JWKS; fetching the JWKS again");
            entry = await fetchEntry((await options.issuerKeys()) ?? entry);
            refetched = true;
            continue;
          }
          return { ok: false, reason: describe(err) };
        }
      }
    },
  };
}

export type Verifier = ReturnType<typeof createVerifier>;

function describe(err: unknown): string {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "signature does not verify against the issuer's keys";
    case "ERR_JWT_EXPIRED":
      return "token has expired (exp)";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "nbf" || e.claim === "iat") {
        return `token is not valid yet (${e.claim}); is this machine's clock behind?`;
      }
      return `claim ${e.claim} check failed: ${e.message}`;
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "no key in the issuer's JWKS matches the token";
    default:
      return e.message ?? String(err);
  }
}
