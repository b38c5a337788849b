/**
 * Reading the IdP's discovery document for `lmi init`, as every command reads it (OpenID Connect
 * discovery, then RFC 8414; lmi's transport with the default env timeout, the OS trust store, -vv
 * logging; plain http refused but for loopback), with the errors put for someone who typed the
 * issuer just now: which URLs were tried and what they answered.
 *
 * Exit codes: an issuer lmi refuses (plain http) 3; unreachable, timeout, TLS 5; answers that
 * are no discovery document 4, as for every command that discovers.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { DEFAULTS } from "../config/resolve.ts";
import { AuthError, NetworkError } from "../errors.ts";
import { envFetch } from "../http/tls.ts";
import { discoverIssuer, type IdpMetadata } from "../oauth/client.ts";
import type { Logger } from "../ui/log.ts";

/** The errors that mean the answers were no discovery document (a redirect refused says more). */
const NOT_A_DOCUMENT = ["IDP_BAD_RESPONSE", "IDP_REJECTED", "IDP_RESPONSE_TOO_LARGE"];

/** One request discovery made and what came of it. */
interface Tried {
  url: string;
  status?: number;
}

/** A fetch that notes every request it makes (redirects included) and its status. */
function noting(fetch: typeof globalThis.fetch, tried: Tried[]): typeof globalThis.fetch {
  return async (input, init) => {
    const entry: Tried = {
      url: typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
    };
    tried.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    return response;
  };
}

function describe(tried: readonly Tried[]): string {
  return tried.map((t) => `${t.url} (${t.status ? `HTTP ${t.status}` : "no answer"})`).join(", ");
}

/** The IdP's metadata for `issuer`, or a typed error saying what was tried. */
export async function readDiscovery(
  issuer: string,
  ctx: { deps: Deps; log: Logger },
): Promise<IdpMetadata> {
  const tried: Tried[] = [];
  const fetch = noting(envFetch(ctx.deps, undefined), tried);
  try {
    return await discoverIssuer(issuer, {
      deps: { ...ctx.deps, fetch },
      log: ctx.log,
      timeoutMs: DEFAULTS.timeoutMs,
    });
  } catch (err) {
    if (err instanceof NetworkError && err.code === "TLS") {
      throw new NetworkError(err.code, err.message, {
        hint: "if the IdP's certificate comes from a private CA, add that CA to the system's " +
          "trust store (lmi init uses it; an env's ca_file adds more later)",
        cause: err,
      });
    }
    if (!(err instanceof AuthError) || !NOT_A_DOCUMENT.includes(err.code) || tried.length === 0) {
      throw err;
    }
    ctx.log.info(err.message);
    throw new AuthError(
      "NOT_DISCOVERY",
      `no discovery document for ${issuer}: tried ${describe(tried)}`,
      {
        hint: "check the issuer URL: the IdP's settings name it (Keycloak: " +
          "https://HOST/realms/REALM; Okta: https://ORG.okta.com/oauth2/default); with -v lmi " +
          "says why the answer was refused",
        cause: err,
        ...(err.status !== undefined ? { status: err.status } : {}),
      },
    );
  }
}
