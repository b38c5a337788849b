/**
 * An SSO provider's session over time: read from the store, refreshed with the refresh token
 * under the same kind of cross-process lock as service tokens, one per provider (a rotated
 * refresh token is saved before the lock is released), and a new sign-in when it truly expired
 * (interactive runs only).
 *
 * @module
 */
import { isFresh, shortenedMarginNote } from "../tokens/margin.ts";
import type { Deps, DpopKey } from "../context.ts";
import { type SsoConfig, ssoLoginCommand } from "../config/sso.ts";
import { tokenDir } from "../config/paths.ts";
import { formatDuration } from "../config/duration.ts";
import { AuthError, LmiError } from "../errors.ts";
import { acquireLock, type HeldLock } from "../tokens/lock.ts";
import { ensurePrivateDir } from "../tokens/files.ts";
import type { Logger } from "../ui/log.ts";
import { join } from "../util/path.ts";
import { sha256Hex } from "../util/sha256.ts";
import { type CommandRunner, realRunner } from "./runner.ts";
import { chooseStore, type SecretStore } from "./store.ts";
import {
  loadSession,
  saveSession,
  sessionAccount,
  type SessionOwner,
  type SsoSession,
} from "./session.ts";
import { offersDeviceFlow } from "./sign_in_hint.ts";
import type { ServerInfo } from "../oauth/client.ts";

export interface SsoContext {
  deps: Deps;
  log: Logger;
  run?: CommandRunner;
}

export function storeFor(ctx: SsoContext): Promise<SecretStore> {
  return chooseStore({ deps: ctx.deps, log: ctx.log, run: ctx.run ?? realRunner });
}

/**
 * The name of a provider's lock: a hash of its account without `sso:` (for the plain account,
 * the issuer's, as before there were several providers).
 */
function lockKey(sso: SessionOwner): string {
  return sha256Hex(sessionAccount(sso).replace(/^sso:/, "")).slice(0, 16);
}

/** The lock that serialises refreshes and interactive sign-ins for one provider. */
export async function lockSso(
  ctx: SsoContext,
  sso: SessionOwner,
  what: string,
): Promise<HeldLock | undefined> {
  const dir = tokenDir(ctx.deps);
  if (!dir) return undefined;
  try {
    await ensurePrivateDir(dir);
    return await acquireLock(join(dir, `sso-${lockKey(sso)}.lock`), {
      what,
      onWait: () => ctx.log.say(`lmi: waiting for another lmi process (${what})…`),
    });
  } catch (err) {
    if (err instanceof LmiError) throw err; // a lock wait that timed out
    ctx.log.warnOnce(
      "sso-lock",
      `cannot lock the SSO session (${err instanceof Error ? err.message : err}); going on without`,
    );
    return undefined;
  }
}

export interface SessionOptions {
  minTtlMs?: number;
  /** Renew even a fresh session (`--force`). */
  force?: boolean;
  /** An access token the API refused: renew unless another process already replaced it. */
  rejectedToken?: string;
  /** Offer a new sign-in when the session cannot be refreshed; undefined: not now. */
  offerLogin?: () => Promise<SsoSession | undefined>;
}

/**
 * An SSO session is renewed this long before it expires (as service tokens' default margin), or
 * when half its token's lifetime is left if that is sooner (src/tokens/margin.ts).
 */
export const SSO_REFRESH_MARGIN_MS = 60_000;

/** At -v, one line when the session's token lives less than twice the SSO refresh margin. */
function noteShortMargin(ctx: SsoContext, session: SsoSession): SsoSession {
  const note = shortenedMarginNote(
    "the SSO session's token",
    "the SSO refresh margin",
    session,
    SSO_REFRESH_MARGIN_MS,
  );
  if (note) ctx.log.info(note);
  return session;
}

/** A valid SSO session: from the store, refreshed if needed; otherwise an AuthError (exit 4). */
export async function getSsoSession(
  sso: SsoConfig,
  ctx: SsoContext,
  options: SessionOptions = {},
): Promise<SsoSession> {
  const store = await storeFor(ctx);
  const usable = (s: SsoSession | undefined): boolean =>
    s !== undefined && !options.force && s.access_token !== options.rejectedToken &&
    isFresh(s, ctx.deps.now(), SSO_REFRESH_MARGIN_MS, options.minTtlMs);
  const quick = await loadSession(store, sso, ctx.log);
  if (quick && usable(quick)) return noteShortMargin(ctx, quick);
  const lock = await lockSso(ctx, sso, "refreshing the SSO session");
  try {
    const session = await loadSession(store, sso, ctx.log);
    if (session && usable(session)) return noteShortMargin(ctx, session);
    // Another process renewed it while this one waited: the refused token is gone already.
    if (
      session && options.rejectedToken && session.access_token !== options.rejectedToken &&
      !options.force
    ) {
      return session;
    }
    // Not expired, yet not usable: it ends within the margin or before --min-ttl, unrenewable.
    const left = session ? Date.parse(session.expires_at) - ctx.deps.now() : 0;
    const ending = left > 0
      ? `the SSO session's token ends in ${formatDuration(left)}${
        options.minTtlMs && left < options.minTtlMs
          ? `, before --min-ttl ${formatDuration(options.minTtlMs)}`
          : ""
      } and there is no refresh token`
      : "the SSO session expired";
    let failure = session ? ending : "not signed in";
    /** The IdP's endpoints, when a refresh found them. */
    let server: ServerInfo | undefined;
    if (session?.refresh_token) {
      try {
        const renewed = await refreshSession(sso, session, ctx, (found) => server = found);
        await saveSession(store, renewed, sso);
        const validFor = Date.parse(renewed.expires_at) - ctx.deps.now();
        ctx.log.info(`refreshed the SSO session (valid for ${formatDuration(validFor)})`);
        if (options.minTtlMs && validFor < options.minTtlMs) {
          ctx.log.warn(
            `the refreshed SSO token is valid for ${
              formatDuration(validFor)
            }, less than --min-ttl ${
              formatDuration(options.minTtlMs)
            } (the IdP's token lifetime is shorter)`,
          );
        }
        return noteShortMargin(ctx, renewed);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        failure = `the SSO session could not be refreshed: ${err.oauthError ?? err.message}`;
        ctx.log.info(failure);
      }
    }
    lock?.release();
    if (options.offerLogin) {
      const signedIn = await options.offerLogin();
      if (signedIn) return signedIn;
    }
    const device = await offersDeviceFlow(sso, ctx, server);
    const login = ssoLoginCommand(sso);
    throw new AuthError(
      "SSO_REQUIRED",
      !session
        ? `not signed in: run \`${login}\``
        : left > 0
        ? `session ends in ${formatDuration(left)}: run \`${login}\``
        : `session expired: run \`${login}\``,
      {
        hint: `${failure}; sign in with ${login}${
          device ? " (--device on a machine without a browser)" : ""
        }`,
      },
    );
  } finally {
    lock?.release();
  }
}

async function refreshSession(
  sso: SsoConfig,
  session: SsoSession,
  ctx: SsoContext,
  /** Told the IdP's endpoints once discovery found them. */
  discovered: (server: ServerInfo) => void,
): Promise<SsoSession> {
  const { ssoConnection, ssoAuth } = await import("./oidc.ts");
  const { sessionFrom } = await import("./login.ts");
  const { refresh, withDpop } = await import("../oauth/grants.ts");
  const conn = await ssoConnection(sso, ctx);
  discovered(conn.server);
  // A DPoP-bound session's refresh token is bound to its key: the refresh proves possession.
  const key = session.dpop_jwk ? await sessionDpopKey(session) : undefined;
  // No scope parameter: the refreshed session keeps the scopes it was granted.
  const response = await refresh(
    key ? withDpop(conn, key) : conn,
    { ...ssoAuth(sso), scopes: [] },
    session.refresh_token!,
  );
  return await sessionFrom(response, sso, conn, ctx, session);
}

/** The DPoP key stored with a session (`[sso] dpop = true`), or undefined when it has none. */
export async function sessionDpopKey(session: SsoSession): Promise<DpopKey | undefined> {
  if (!session.dpop_jwk) return undefined;
  const { dpopKeyFromJwk } = await import("../tokens/dpop_key.ts");
  return await dpopKeyFromJwk(session.dpop_jwk);
}

export interface SsoStatus {
  /** The provider: "default" for `[sso]` itself. */
  name: string;
  signed_in: boolean;
  issuer: string;
  client_id: string;
  store: string;
  /** Why the session is kept in a file rather than a keychain, when it is. */
  store_reason?: string;
  user?: { sub: string; email?: string; name?: string };
  expires_at?: string;
  expires_in_s?: number;
  refreshable?: boolean;
  /** The ID token's `acr`: the authentication context class of the sign-in. */
  acr?: string;
  /** The ID token's `auth_time` (ISO 8601 UTC): when the person last authenticated at the IdP. */
  auth_time?: string;
}

/** The session as `auth status` shows it; never a token. No network. */
export async function ssoStatus(
  sso: SsoConfig,
  ctx: SsoContext,
  store?: SecretStore,
): Promise<SsoStatus> {
  store ??= await storeFor(ctx);
  const session = await loadSession(store, sso, ctx.log);
  const status: SsoStatus = {
    name: sso.name,
    signed_in: false,
    issuer: sso.issuer,
    client_id: sso.clientId,
    store: store.name,
  };
  if (store.reason) status.store_reason = store.reason;
  if (!session) return status;
  const left = Date.parse(session.expires_at) - ctx.deps.now();
  status.user = session.user;
  status.expires_at = session.expires_at;
  status.expires_in_s = Math.round(left / 1000);
  status.refreshable = session.refresh_token !== undefined;
  if (typeof session.acr === "string") status.acr = session.acr;
  if (typeof session.auth_time === "string") status.auth_time = session.auth_time;
  status.signed_in = left > 0 || status.refreshable;
  return status;
}
