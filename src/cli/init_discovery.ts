/**
 * Reading the IdP's discovery document for `lmi init`, as every command reads it (OpenID Connect
 * discovery, then RFC 8414; lmi's transport with the default env timeout, the OS trust store, -vv
 * logging; plain http refused but for loopback), with hints put for someone who typed the issuer
 * just now.
 *
 * Exit codes, as for every command that discovers: an issuer lmi refuses (plain http), no
 * discovery document at it (the URLs tried and what each answered), or a document naming another
 * issuer: 3; unreachable, timeout, TLS: 5.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { DEFAULTS } from "../config/resolve.ts";
import { ConfigError, NetworkError } from "../errors.ts";
import { envFetch } from "../http/tls.ts";
import { discoverIssuer, type IdpMetadata } from "../oauth/client.ts";
import type { Logger } from "../ui/log.ts";

/** The IdP's metadata for `issuer`, or a typed error saying what was tried. */
export async function readDiscovery(
  issuer: string,
  ctx: { deps: Deps; log: Logger },
): Promise<IdpMetadata> {
  try {
    return await discoverIssuer(issuer, {
      deps: { ...ctx.deps, fetch: envFetch(ctx.deps, undefined) },
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
    if (err instanceof ConfigError && err.code === "NO_DISCOVERY_DOCUMENT") {
      throw new ConfigError(err.code, err.message, {
        hint: "check --issuer: the IdP's settings name it (Keycloak: https://HOST/realms/REALM; " +
          "Okta: https://ORG.okta.com/oauth2/default); with -v lmi says why each answer was refused",
        cause: err,
      });
    }
    throw err;
  }
}
