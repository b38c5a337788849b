/**
 * The development identity provider: a real OpenID Connect / OAuth 2.0 server (oidc-provider,
 * in this process, on 127.0.0.1) and a small protected JSON API that checks its JWT access
 * tokens. Used by the demo and by every integration and end-to-end test.
 *
 * Library use: `const idp = await startDevIdp(); … await idp.close();` (or `await using`); free
 * ports unless `port` is given.
 * On its own: `deno task dev-idp [--port N] [--write-config DIR] [--json]` (cli.ts) serves it on
 * ports 9400 (the IdP), 9401 (the API) and 9402 (the CI issuer), or N, N+1 and N+2, says what it
 * offers, writes a ready lmi config into DIR when asked, and runs until SIGINT or SIGTERM.
 *
 * What it offers:
 * - clients `svc-basic` (client_secret_basic) and `svc-post` (client_secret_post) for
 *   client_credentials; `svc-jwt` (private_key_jwt, with a fixed key) for client_credentials;
 *   `pw-client` (client_secret_basic) for the password grant (added here, oidc-provider has none)
 *   and refresh_token; `lmi`, a public native client for authorization_code with PKCE,
 *   refresh_token and the device flow. As OpenID Connect Core 1.0 §11 has it, a code grant
 *   gets a refresh token only for `offline_access`, which needs `prompt=consent`.
 * - JWT access tokens (ES256, keys at `jwks_uri`) for the resource `apiUrl + "/"`, which is also
 *   the default when a request names none; opaque ones for the resource `urn:lmi:opaque`. An
 *   `audience` form parameter naming one of these two acts as `resource`; other unknown
 *   parameters are ignored.
 * - a login page for the browser flows (`alice` and her password), consent given automatically.
 * - counters of token requests (`stats`), injected token-endpoint faults (`faults`), a record of
 *   the API's requests and forced 401s (`api`).
 *
 * @module
 */
import { main } from "./cli.ts";

export { startDevIdp } from "./start.ts";
export { PortInUseError } from "./ports.ts";
export type {
  ApiRequestRecord,
  DevIdp,
  DevIdpClient,
  DevIdpOptions,
  DevIdpUser,
  GithubTokenRequest,
  TokenFault,
} from "./types.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
