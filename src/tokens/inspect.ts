/**
 * The state of an env's cached service token, for `auth status` and `env list`: read without
 * the lock (files are replaced whole), checked against the current config's fingerprint and the
 * cached JWKS, never any network call, never printing the token.
 *
 * @module
 */
import type { ResolvedEnv } from "../config/resolve.ts";
import { tokenDir } from "../config/paths.ts";
import type { ServiceContext } from "./service.ts";
import { SERVICE_TYPES } from "./service.ts";
import { envFiles, readIfExists } from "./files.ts";
import { fingerprint, parseCachedToken } from "./token_set.ts";
import { createVerifier, rulesForCached, type Verdict } from "./verify.ts";

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
  const files = envFiles(dir, env.name);
  const base = { cache_file: files.token };
  let text: string | undefined;
  try {
    text = await readIfExists(files.token);
  } catch (err) {
    return { ...base, state: "corrupt", reason: err instanceof Error ? err.message : String(err) };
  }
  if (text === undefined) return { ...base, state: "none" };
  const cached = parseCachedToken(text);
  if ("invalid" in cached) return { ...base, state: "corrupt", reason: cached.invalid };
  if (cached.fingerprint !== await fingerprint(env.auth)) {
    return { ...base, state: "other-config", reason: "cached for a different configuration" };
  }
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
    fetch: () => Promise.reject(new Error("no network in status")),
    now: ctx.deps.now,
    log: ctx.log,
    issuerKeys: () => Promise.resolve(undefined),
  });
  const rules = rulesForCached(env.auth, cached.verified);
  const verdict: Verdict = !rules
    ? { ok: true, verified: false }
    : await verifier.verify(cached.access_token, rules).catch((err) => ({
      ok: false as const,
      reason: err instanceof Error ? err.message : String(err),
    }));
  if (!verdict.ok) return { ...info, state: "invalid", reason: verdict.reason, verified: false };
  info.verified = verdict.verified;
  return info;
}

/** One line for people: "valid, expires in 54m (2026-…)". */
export function describeState(s: TokenState): string {
  switch (s.state) {
    case "valid":
      return `valid, expires in ${humanSeconds(s.expires_in_s ?? 0)} (${s.expires_at})`;
    case "expired":
      return `expired ${humanSeconds(-(s.expires_in_s ?? 0))} ago${
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

function humanSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  return `${Math.floor(s / 86400)}d`;
}
