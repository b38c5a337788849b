/**
 * What an IdP's discovery document offers `lmi init`: which auth types it can sign in with
 * (`grant_types_supported`) and how the client authenticates (`token_endpoint_auth_methods_supported`).
 * Pure: metadata in, a plan or a ConfigError out. Where the document leaves a list out, RFC 8414 §2's
 * default stands in, and the plan says it was assumed.
 *
 * @module
 */
import type { IdpMetadata } from "../oauth/client.ts";
import type { AuthType } from "../config/schema.ts";
import { ConfigError, q } from "../errors.ts";

/** The auth types `lmi init` writes: those that sign in at an IdP. */
export const INIT_TYPES = [
  "client_credentials",
  "password",
  "sso",
  "token_exchange",
  "jwt_bearer",
] as const satisfies readonly AuthType[];
export type InitType = typeof INIT_TYPES[number];

/** What each type is, in a few words (the terminal's choice, the help). */
export const TYPE_SUMMARIES: Record<InitType, string> = {
  client_credentials: "a service signs in with its own client id and secret",
  password: "a service account's user name and password (legacy)",
  sso: "people sign in in the browser (lmi login sso)",
  token_exchange: "a CI job trades its own token for one (RFC 8693)",
  jwt_bearer: "a CI job presents its own token as a grant (RFC 7523)",
};

export const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The grant each type uses (sso: either flow). */
const GRANTS: Record<InitType, readonly string[]> = {
  client_credentials: ["client_credentials"],
  password: ["password"],
  sso: ["authorization_code", DEVICE_CODE],
  token_exchange: [TOKEN_EXCHANGE],
  jwt_bearer: [JWT_BEARER],
};

/** RFC 8414 §2: `grant_types_supported` left out means these. */
export const DEFAULT_GRANTS = ["authorization_code", "implicit"];
/** RFC 8414 §2: `token_endpoint_auth_methods_supported` left out means this. */
export const DEFAULT_AUTH_METHODS = ["client_secret_basic"];

/** The client authentication methods with a secret that lmi chooses between by itself. */
const SECRET_METHODS = ["client_secret_basic", "client_secret_post"];
/** Methods lmi supports that need a client certificate (not written by `lmi init`). */
const CERT_METHODS = ["tls_client_auth", "self_signed_tls_client_auth"];

/** The IdP's grants: its list, or RFC 8414's default when it gives none (`assumed`). */
export function offeredGrants(metadata: IdpMetadata): { grants: string[]; assumed: boolean } {
  const listed = metadata.grant_types_supported;
  return listed ? { grants: listed, assumed: false } : { grants: DEFAULT_GRANTS, assumed: true };
}

/** How people sign in with `sso` at this IdP: in the browser, with a device code, or not at all. */
export function ssoFlow(metadata: IdpMetadata): "browser" | "device" | undefined {
  const { grants } = offeredGrants(metadata);
  if (grants.includes("authorization_code") && metadata.authorization_endpoint) return "browser";
  if (grants.includes(DEVICE_CODE) && metadata.device_authorization_endpoint) return "device";
  return undefined;
}

/**
 * Whether the IdP offers `type`'s grant: `listed` when its document says so, `assumed` when the
 * document lists no grants at all (RFC 8414's default would refuse every service grant, yet IdPs
 * that leave the list out, Entra ID among them, offer them; `lmi login` tells), else `no`.
 */
export function grantOffer(type: InitType, metadata: IdpMetadata): "listed" | "assumed" | "no" {
  if (type === "sso") {
    if (!ssoFlow(metadata)) return "no";
    return metadata.grant_types_supported ? "listed" : "assumed";
  }
  const listed = metadata.grant_types_supported;
  if (!listed) return "assumed";
  return GRANTS[type].some((g) => listed.includes(g)) ? "listed" : "no";
}

/** The types the IdP offers (listed first), for the terminal's choice. */
export function offeredTypes(metadata: IdpMetadata): InitType[] {
  return INIT_TYPES.filter((t) => grantOffer(t, metadata) !== "no");
}

/** The ConfigError for a type whose grant the IdP does not offer, naming what it does offer. */
export function notOffered(type: InitType, metadata: IdpMetadata): ConfigError {
  const { grants, assumed } = offeredGrants(metadata);
  const others = offeredTypes(metadata);
  const its = assumed
    ? `its document lists no grants (RFC 8414: then ${grants.join(" and ")})`
    : `its grants: ${grants.join(", ") || "(none)"}`;
  const what = type === "sso"
    ? "sign-in for people (authorization_code with an authorization_endpoint, or the device " +
      "flow with a device_authorization_endpoint)"
    : `the ${GRANTS[type][0]} grant`;
  return new ConfigError(
    "GRANT_NOT_OFFERED",
    `the IdP at ${metadata.issuer} does not offer ${what} (--type ${type}); ${its}`,
    {
      hint: others.length > 0
        ? `pick a type it offers: ${others.map((t) => `--type ${t}`).join(", ")}`
        : "ask the IdP's administrator which grants your client may use",
    },
  );
}

/** The ConfigError for an IdP that offers none of the types lmi init writes. */
export function nothingOffered(metadata: IdpMetadata): ConfigError {
  const { grants } = offeredGrants(metadata);
  return new ConfigError(
    "GRANT_NOT_OFFERED",
    `the IdP at ${metadata.issuer} offers none of the grants lmi init writes; its grants: ${
      grants.join(", ") || "(none)"
    }`,
    { hint: "ask the IdP's administrator which grants your client may use" },
  );
}

/**
 * How the written client authenticates:
 * - `secret`: `client_secret_env` (client_auth left unset: lmi picks Basic or post from discovery);
 * - `private_key_jwt`: a signed assertion, the key in `private_key_env`;
 * - `public`: no client authentication (`client_secret_env` written as a comment, for
 *   confidential clients; `client_auth = "none"` for a password client).
 */
export type ClientAuthChoice = "secret" | "private_key_jwt" | "public";

/**
 * The client authentication to write for `type`. People's sign-in and CI workloads are public
 * clients by default (IdPs rarely list "none" although they register such clients); service
 * grants need a method lmi can use with what a config holds: a secret, else a private key.
 */
export function clientAuthFor(
  type: InitType,
  metadata: IdpMetadata,
): { choice: ClientAuthChoice; methods: string[]; assumed: boolean } {
  const listed = metadata.token_endpoint_auth_methods_supported;
  const methods = listed ?? DEFAULT_AUTH_METHODS;
  const assumed = listed === undefined;
  if (type === "sso" || type === "token_exchange" || type === "jwt_bearer") {
    return { choice: "public", methods, assumed };
  }
  if (methods.some((m) => SECRET_METHODS.includes(m))) {
    return { choice: "secret", methods, assumed };
  }
  if (methods.includes("private_key_jwt")) return { choice: "private_key_jwt", methods, assumed };
  if (type === "password" && methods.includes("none")) {
    return { choice: "public", methods, assumed };
  }
  const certs = methods.filter((m) => CERT_METHODS.includes(m));
  throw new ConfigError(
    "CLIENT_AUTH_UNSUPPORTED",
    `the IdP at ${metadata.issuer} offers no client authentication lmi init can write for ${type}: ` +
      `it offers ${methods.map((m) => q(m)).join(", ") || "none"}`,
    {
      hint: certs.length > 0
        ? `lmi signs in with ${certs.join(" or ")} given a client certificate: write the env by ` +
          "hand (client_auth, client_cert_file, client_key_file)"
        : "lmi authenticates clients with client_secret_basic, client_secret_post, " +
          "private_key_jwt or a client certificate; ask the IdP's administrator for one of those",
    },
  );
}
