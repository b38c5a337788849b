/**
 * Which requested scopes a token response did not grant (RFC 6749 §5.1, §3.3): a response
 * without `scope` was granted what was asked; one with `scope` lists what it was granted. What
 * IdPs do besides is not taken for a refusal:
 *
 * - an empty `scope` says nothing (oidc-provider sends `""` when the access token is for a
 *   resource server that got none of the scopes, while the ID token carries the rest);
 * - with an ID token, the OpenID Connect scopes (`openid`, `profile`, `email`, `address`,
 *   `phone`: OIDC Core 1.0 §5.4) are about that token and UserInfo, and several IdPs leave them
 *   out of the access token's `scope`;
 * - `offline_access` was granted when a refresh token came.
 *
 * @module
 */
import { q } from "../errors.ts";
import { safeText } from "../ui/text.ts";

/** The fields of a token response that say what was granted. */
export interface GrantedParts {
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** The requested scopes the response did not grant, in the order they were requested. */
export function ungrantedScopes(requested: readonly string[], response: GrantedParts): string[] {
  const listed = (response.scope ?? "").split(" ").filter(Boolean);
  if (listed.length === 0) return [];
  const granted = new Set(listed);
  if (response.id_token !== undefined) { for (const s of OIDC_SCOPES) granted.add(s); }
  if (response.refresh_token !== undefined) granted.add("offline_access");
  return [...new Set(requested)].filter((s) => !granted.has(s));
}

/**
 * The requested scopes the IdP does not list in its metadata's `scopes_supported`, when its token
 * response did not say what it granted (then {@link ungrantedScopes} cannot tell): a typo'd scope
 * there is otherwise silent. RFC 8414 lets an IdP leave scopes out of the list, so this is a
 * warning for a name to check, never a refusal; the OpenID Connect scopes and `offline_access`
 * are not judged.
 */
export function unlistedScopes(
  requested: readonly string[],
  response: GrantedParts,
  supported: readonly string[] | undefined,
): string[] {
  if (!supported || (response.scope ?? "").trim() !== "") return [];
  const listed = new Set(supported);
  return [...new Set(requested)].filter((s) =>
    !listed.has(s) && !OIDC_SCOPES.includes(s) && s !== "offline_access"
  );
}

/** The scopes of OpenID Connect Core 1.0 §5.4 that an ID token stands for. */
const OIDC_SCOPES = ["openid", "profile", "email", "address", "phone"];

/**
 * The warning for scopes not granted, or undefined when all were:
 * `the IdP did not grant the scope "api.wirte" for env "dev" (requested "api.read api.wirte",
 * granted "api.read")`.
 */
export function ungrantedScopesWarning(
  requested: readonly string[],
  response: GrantedParts,
  /** `env "dev"`, `the SSO session` */
  forWhat: string,
): string | undefined {
  const missing = ungrantedScopes(requested, response);
  if (missing.length === 0) return undefined;
  const names = missing.map((s) => q(safeText(s, 100))).join(", ");
  return `the IdP did not grant the scope${
    missing.length > 1 ? "s" : ""
  } ${names} for ${forWhat} ` +
    `(requested ${q(requested.join(" "))}, granted ${q(safeText(response.scope ?? "", 200))})`;
}

/**
 * The warning for requested scopes the IdP does not list ({@link unlistedScopes}), or undefined:
 * `the IdP does not list the scope "api.raed" (env "dev") among those it supports, and did not
 * say which it granted: check the name (it lists "api.read", "api.write")`.
 */
export function unlistedScopesWarning(
  requested: readonly string[],
  response: GrantedParts,
  supported: readonly string[] | undefined,
  forWhat: string,
): string | undefined {
  const missing = unlistedScopes(requested, response, supported);
  if (missing.length === 0) return undefined;
  const names = missing.map((s) => q(safeText(s, 100))).join(", ");
  const lists = safeText(supported!.map((s) => q(s)).join(", "), 200);
  return `the IdP does not list the scope${missing.length > 1 ? "s" : ""} ${names} (${forWhat}) ` +
    `among those it supports, and did not say which it granted: check the name (it lists ${lists})`;
}
