/**
 * oidc-provider itself, loaded once for the whole development IdP. Evaluating its module prints
 * "oidc-provider WARNING: Unsupported runtime. Use Node.js …" under Deno (its lib/index.js checks
 * the runtime and has no option to stay quiet): that one message is dropped while the module
 * loads, and console.warn is given back as soon as it has loaded.
 *
 * @module
 */
import { loadOidcProvider } from "../deps.ts";

const RUNTIME_WARNING = "oidc-provider WARNING: Unsupported runtime";

/** Runs `load` with console.warn passing on everything but oidc-provider's runtime warning. */
async function withoutRuntimeWarning<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes(RUNTIME_WARNING)) warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

const oidc = await withoutRuntimeWarning(loadOidcProvider);

/** oidc-provider's `Provider` class (untyped: the package ships no types; see oidc_types.ts). */
export const Provider = oidc.default;
/** oidc-provider's error classes, which a grant handler throws to answer an OAuth error. */
export const oidcErrors = oidc.errors;
/** oidc-provider's interaction policy: its prompts (login, consent) and their checks. */
export const interactionPolicy = oidc.interactionPolicy;
