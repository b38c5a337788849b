/**
 * The SSO session of one provider: tokens and the user's claims, kept in the secret store under
 * account `sso:<issuer>` (or `sso:<issuer>#<client_id>`: see {@link sessionAccount}). A stored
 * value that cannot be read is treated as signed out, with a warning; a session of another
 * issuer or client is not this provider's.
 *
 * @module
 */
import type { Logger } from "../ui/log.ts";
import type { SecretStore } from "./store.ts";
import type { SsoConfig } from "../config/sso.ts";
import { DEFAULT_PROVIDER } from "../config/schema.ts";

export const SESSION_VERSION = 1;

export interface SsoUser {
  sub: string;
  email?: string;
  name?: string;
}

export interface SsoSession {
  version: number;
  issuer: string;
  client_id: string;
  access_token: string;
  token_type: string;
  /** ISO 8601 UTC. */
  expires_at: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  user: SsoUser;
  obtained_at: string;
  /** The ID token's `acr`: the authentication context class the IdP signed the person in with. */
  acr?: string;
  /** The ID token's `auth_time` (ISO 8601 UTC): when the person last authenticated at the IdP. */
  auth_time?: string;
  /**
   * DPoP (`[sso] dpop = true`): the private P-256 JWK the session's tokens are bound to, one per
   * session, kept with it and never printed.
   */
  dpop_jwk?: JsonWebKey;
}

/** The provider as its session's place in the store sees it. */
export type SessionOwner = Pick<SsoConfig, "name" | "issuer" | "clientId" | "sharesIssuer">;

/** The account `sso:<issuer>`, or `sso:<issuer>#<client_id>` when a client id is given. */
export function accountFor(issuer: string, clientId?: string): string {
  return clientId === undefined ? `sso:${issuer}` : `sso:${issuer}#${clientId}`;
}

/**
 * Where a provider's session is kept: `sso:<issuer>`, as lmi kept the one `[sso]` session
 * before there were several providers, so those sessions are still found. A provider whose
 * issuer another provider of the config shares adds `#<client_id>`, unless it is the default
 * one: that one keeps the plain account. (Two providers never share both issuer and client id:
 * the config refuses it.)
 */
export function sessionAccount(sso: SessionOwner): string {
  return sso.sharesIssuer && sso.name !== DEFAULT_PROVIDER
    ? accountFor(sso.issuer, sso.clientId)
    : accountFor(sso.issuer);
}

/**
 * The stored session, or undefined (absent, another client's, or unreadable: signed out). A
 * provider kept under `#<client_id>` also finds its session under the plain account, where lmi
 * kept it while no other provider had its issuer.
 */
export async function loadSession(
  store: SecretStore,
  sso: SessionOwner,
  log: Logger,
): Promise<SsoSession | undefined> {
  const account = sessionAccount(sso);
  const own = await readSession(store, account, sso, log);
  const plain = accountFor(sso.issuer);
  if (own || account === plain) return own;
  return await readSession(store, plain, sso, log);
}

async function readSession(
  store: SecretStore,
  account: string,
  sso: SessionOwner,
  log: Logger,
): Promise<SsoSession | undefined> {
  const issuer = sso.issuer;
  const text = await store.get(account);
  if (text === undefined || text === "") return undefined;
  try {
    const s = JSON.parse(text) as SsoSession;
    if (s.issuer !== issuer) return undefined; // another issuer's session: not this one's
    if (typeof s.client_id === "string" && s.client_id !== sso.clientId) {
      // Another client's session at this issuer (the provider's client_id changed, or another
      // provider kept it here before): not this provider's.
      log.debug(
        `the SSO session under ${account} is client ${s.client_id}'s, not ${sso.clientId}'s`,
      );
      return undefined;
    }
    if (
      s.version !== SESSION_VERSION || typeof s.access_token !== "string" ||
      typeof s.expires_at !== "string" ||
      typeof s.user?.sub !== "string" || Number.isNaN(Date.parse(s.expires_at))
    ) {
      throw new Error("unexpected content");
    }
    // Every token read from a store is redacted from then on (an IdP may echo one back).
    for (const t of [s.access_token, s.refresh_token, s.id_token]) log.redactor.add(t);
    if (s.dpop_jwk !== undefined) {
      if (typeof s.dpop_jwk?.d !== "string") throw new Error("unexpected DPoP key");
      log.redactor.add(s.dpop_jwk.d);
    }
    return s;
  } catch {
    log.warn(
      `the stored SSO session for ${issuer} in the ${store.label} cannot be read; treating it as signed out`,
    );
    return undefined;
  }
}

/** Whose session `account` holds, as far as its content says (undefined: none, or unreadable). */
async function holder(
  store: SecretStore,
  account: string,
): Promise<Partial<Pick<SsoSession, "issuer" | "client_id">> | undefined> {
  try {
    const s: unknown = JSON.parse(await store.get(account) || "null");
    return typeof s === "object" && s !== null ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `account` holds another client's session (which is not this provider's to delete). */
async function othersAt(store: SecretStore, account: string, sso: SessionOwner): Promise<boolean> {
  const h = await holder(store, account);
  return h !== undefined && (h.issuer !== sso.issuer || h.client_id !== sso.clientId);
}

/**
 * Whether the plain account holds this provider's session although it keeps it under
 * `#<client_id>` (left there from before another provider shared its issuer).
 */
async function leftUnderPlain(store: SecretStore, sso: SessionOwner): Promise<boolean> {
  const plain = accountFor(sso.issuer);
  if (sessionAccount(sso) === plain) return false;
  const h = await holder(store, plain);
  return h?.issuer === sso.issuer && h.client_id === sso.clientId;
}

/** Keep the provider's session (and drop its old copy under the plain account, if any). */
export async function saveSession(
  store: SecretStore,
  session: SsoSession,
  sso: SessionOwner = {
    name: DEFAULT_PROVIDER,
    issuer: session.issuer,
    clientId: session.client_id,
  },
): Promise<void> {
  await store.set(sessionAccount(sso), JSON.stringify(session));
  if (await leftUnderPlain(store, sso)) await store.delete(accountFor(sso.issuer));
}

/**
 * Delete the provider's session (under either account; an unreadable one too, never another
 * client's); whether there was one.
 */
export async function deleteSession(store: SecretStore, sso: SessionOwner): Promise<boolean> {
  const account = sessionAccount(sso);
  const old = await leftUnderPlain(store, sso) && await store.delete(accountFor(sso.issuer));
  if (await othersAt(store, account, sso)) return old;
  return await store.delete(account) || old;
}
