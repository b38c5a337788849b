/**
 * Resources and scopes: the protected API (JWT access tokens for `apiUrl + "/"`, also the
 * default) and `urn:lmi:opaque` (opaque access tokens), both with the scopes `api.read` and
 * `api.write`; an `audience` naming one of them acts as `resource`.
 *
 * @module
 */
import { SIGNING_ALG } from "./keys.ts";
import { errors, type KoaContext, type ResourceServerInfo } from "./oidc_types.ts";

export const OPAQUE_RESOURCE = "urn:lmi:opaque";

/** Every scope the IdP knows; the API's two are the last. */
export const SCOPES = ["openid", "profile", "email", "offline_access", "api.read", "api.write"];

const API_SCOPE = "api.read api.write";

export interface Resources {
  /** The resource a value means: the opaque one, or the API with or without the slash. */
  canonical(value: unknown): string | undefined;
  /** oidc-provider's description of a resource server; throws invalid_target when unknown. */
  info(indicator: string): ResourceServerInfo;
  /** With no `resource` parameter: an `audience` naming a known resource, else the API. */
  fallback(ctx: KoaContext | undefined): string;
}

/** The resources of an IdP whose API is `resource`; access tokens live `accessTokenTtl` s. */
export function resources(resource: string, accessTokenTtl: number): Resources {
  const canonical = (value: unknown): string | undefined => {
    if (typeof value !== "string") return undefined;
    if (value === OPAQUE_RESOURCE) return value;
    return URL.parse(value)?.href === resource ? resource : undefined;
  };

  return {
    canonical,
    info(indicator) {
      const known = canonical(indicator);
      if (known === resource) {
        return {
          scope: API_SCOPE,
          audience: resource,
          accessTokenFormat: "jwt",
          accessTokenTTL: accessTokenTtl,
          jwt: { sign: { alg: SIGNING_ALG } },
        };
      }
      if (known === OPAQUE_RESOURCE) {
        return { scope: API_SCOPE, accessTokenFormat: "opaque", accessTokenTTL: accessTokenTtl };
      }
      throw new errors.InvalidTarget(`unknown resource ${indicator}`);
    },
    fallback(ctx) {
      return canonical(ctx?.oidc?.body?.audience) ?? resource;
    },
  };
}
