/**
 * Every third-party module lmi uses, as full pinned `npm:` specifiers, so that
 * `deno run https://…/main.ts` (which reads no deno.json) resolves the same versions.
 *
 * Each library is exposed as a loader, not a static re-export: a command pays for a
 * library only when it needs it (the warm `lmi auth token` path never loads openid-client).
 * `import type` lines are erased at run time and cost nothing.
 *
 * @module
 */

export type * as OpenidClient from "npm:openid-client@6.8.9";
export type * as Jose from "npm:jose@6.2.17";

/** openid-client v6: OAuth 2.0 / OpenID Connect protocol (discovery, grants, client auth). */
export const loadOpenidClient = (): Promise<typeof import("npm:openid-client@6.8.9")> =>
  import("npm:openid-client@6.8.9");

/** jose: JWT verification and JWKS handling. */
export const loadJose = (): Promise<typeof import("npm:jose@6.2.17")> => import("npm:jose@6.2.17");

/**
 * Only what verifying a JWT against a local JWKS needs (jose's subpath modules): the warm
 * `auth token` path loads these instead of all of jose.
 */
export const loadJoseVerify = async (): Promise<{
  jwtVerify: typeof import("npm:jose@6.2.17").jwtVerify;
  createLocalJWKSet: typeof import("npm:jose@6.2.17").createLocalJWKSet;
}> => {
  const [{ jwtVerify }, { createLocalJWKSet }] = await Promise.all([
    import("npm:jose@6.2.17/jwt/verify"),
    import("npm:jose@6.2.17/jwks/local"),
  ]);
  return { jwtVerify, createLocalJWKSet };
};

/** smol-toml: the TOML parser for lmi.toml / config.toml. */
export const loadToml = (): Promise<typeof import("npm:smol-toml@1.9.1")> =>
  import("npm:smol-toml@1.9.1");
