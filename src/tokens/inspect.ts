/**
 * The state of an env's cached service token, for `auth status` and `env list`: the entry for the
 * current configuration, read without the lock (files are replaced whole), checked against the
 * cached JWKS, never any network call, never printing the token.
 *
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { tokenDir } from "../config/paths.ts";
import type { ServiceContext } from "./service.ts";
import { SERVICE_TYPES } from "./service.ts";
import { TokenCache } from "./cache.ts";
import { fingerprint } from "./token_set.ts";
import { createVerifier, rulesForCached, type Verdict } from "./verify.ts";
import { readOnlyKey } from "../util/cache_key.ts";

export type TokenStateName =
  | "valid"
  | "expired"
  | "none"
  | "other-config"
  | "invalid"
  | "corrupt"
  | "not-applicable";

export interface TokenState {
  state: TokenStateName;
  expires_at?: string;
  expires_in_s?: number;
  scope?: string;
  has_refresh_token?: boolean;
  verified?: boolean;
  reason?: string;
  cache_file?: string;
}

export async function inspectServiceToken(
  env: ResolvedEnv,
  ctx: ServiceContext,
): Promise<TokenState> {
  if (!(SERVICE_TYPES as readonly string[]).includes(env.auth.type)) {
    return { state: "not-applicable", reason: `auth type ${env.auth.type}` };
  }
  const dir = tokenDir(ctx.deps);
  if (!dir) return { state: "none", reason: "no cache folder" };
  const cache = new TokenCache(dir, env.name);
  const files = cache.files;
  const base = { cache_file: files.token };
  const found = await cache.read(fingerprint(env.auth));
  switch (found.state) {
    case "none":
      return { ...base, state: "none" };
    case "corrupt":
      return { ...base, state: "corrupt", reason: found.reason };
    case "unsafe":
      return { ...base, state: "corrupt", reason: found.why };
    case "other-config":
      return { ...base, state: "other-config", reason: "cached for another configuration only" };
  }
  const cached = found.entry;
  const now = ctx.deps.now();
  const expiresAt = Date.parse(cached.expires_at);
  const info: TokenState = {
    ...base,
    state: expiresAt > now ? "valid" : "expired",
    expires_at: cached.expires_at,
    expires_in_s: Math.round((expiresAt - now) / 1000),
    has_refresh_token: cached.refresh_token !== undefined,
  };
  if (cached.scope !== undefined) info.scope = cached.scope;
  const verifier = createVerifier({
    path: files.jwks,
    configIssuer: env.auth.issuer,
    fetchJwks: () => Promise.reject(new Error("no network in status")),
    now: ctx.deps.now,
    log: ctx.log,
    issuerKeys: () => Promise.resolve(undefined),
    offline: true,
    cacheKey: readOnlyKey(ctx.deps.cacheKey),
  });
  const rules = rulesForCached(env.auth, cached.verified);
  const verdict: Verdict = !rules
    ? { ok: true, verified: false }
    : await verifier.verify(cached.access_token, rules, cached.signature_memo).catch((err) => ({
      ok: false as const,
      reason: err instanceof Error ? err.message : String(err),
    }));
  if (!verdict.ok) return { ...info, state: "invalid", reason: verdict.reason, verified: false };
  info.verified = verdict.verified;
  return info;
}

/** One line for people: "valid, expires in 54m00s (2026-…)". */
export function describeState(s: TokenState): string {
  switch (s.state) {
    case "valid":
      return `valid, expires in ${formatDuration((s.expires_in_s ?? 0) * 1000)} (${s.expires_at})`;
    case "expired":
      return `expired ${formatDuration(-(s.expires_in_s ?? 0) * 1000)} ago${
        s.has_refresh_token ? " (refreshable)" : ""
      }`;
    case "none":
      return "no token cached";
    case "other-config":
      return "cached token is for a different configuration";
    case "invalid":
      return `cached token fails verification (${s.reason})`;
    case "corrupt":
      return `cache file unreadable (${s.reason})`;
    case "not-applicable":
      if (s.reason === "auth type none") return "no authentication";
      if (s.reason === "auth type command") return "from auth.command each time (not cached)";
      return `not a service token (${s.reason})`;
  }
}
