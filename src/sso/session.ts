/**
 * The SSO session: tokens and the user's claims, kept in the secret store under account
 * `sso:<issuer>`. A stored value that cannot be read is treated as signed out, with a warning.
 *
 * @module
 */
import type { Logger } from "../ui/log.ts";
import type { SecretStore } from "./store.ts";

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
   * issuer, kept with the session and never printed.
   */
  dpop_jwk?: JsonWebKey;
}

export function accountFor(issuer: string): string {
  return `sso:${issuer}`;
}

/** The stored session, or undefined (absent or unreadable: signed out). */
export async function loadSession(
  store: SecretStore,
  issuer: string,
  log: Logger,
): Promise<SsoSession | undefined> {
  const text = await store.get(accountFor(issuer));
  if (text === undefined || text === "") return undefined;
  try {
    const s = JSON.parse(text) as SsoSession;
    if (s.issuer !== issuer) return undefined; // another issuer's session: not this one's
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

export async function saveSession(store: SecretStore, session: SsoSession): Promise<void> {
  await store.set(accountFor(session.issuer), JSON.stringify(session));
}

export function deleteSession(store: SecretStore, issuer: string): Promise<boolean> {
  return store.delete(accountFor(issuer));
}
