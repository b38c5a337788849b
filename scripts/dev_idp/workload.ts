/**
 * Workload identity at the dev IdP, trusting the CI issuer (ci_issuer.ts): the token exchange
 * grant (RFC 8693) and the JWT bearer grant (RFC 7523 §2.1) for the public client `ci-workload`,
 * and federated client assertions (RFC 7523 §2.2 with a CI token as `client_assertion`, as Entra
 * ID workload identity federation takes) for `svc-federated`. oidc-provider has neither grant
 * nor a way to accept a third party's assertion, so the grants are registered with
 * `registerGrantType` and the assertion is checked in front of the token endpoint.
 *
 * @module
 */
import type { CiIssuerHandle } from "./ci_issuer.ts";
import { CI_SUBJECT } from "./ci_issuer.ts";
import { CLIENTS } from "./clients.ts";
import { issueTokens } from "./issue.ts";
import { errors, type KoaContext, type OidcContext, type OidcProvider } from "./oidc_types.ts";
import type { Resources } from "./resources.ts";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_TYPES = [
  "urn:ietf:params:oauth:token-type:jwt",
  "urn:ietf:params:oauth:token-type:id_token",
];
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** Adds both grants to `provider`; CI tokens must name the IdP (issuer or token URL) as `aud`. */
export function registerWorkloadGrants(
  provider: OidcProvider,
  resources: Resources,
  ci: CiIssuerHandle,
  issuer: string,
): void {
  const audiences = [issuer, `${issuer}/token`];
  const check = async (token: string | undefined, what: string) => {
    if (!token) throw new errors.InvalidRequest(`missing required parameter: ${what}`);
    try {
      return await ci.verify(token, audiences);
    } catch (err) {
      const e = new errors.InvalidGrant();
      e.error_description = `the ${what} was not accepted: ${(err as Error).message}`;
      throw e;
    }
  };
  const onlyWorkloadClient = (ctx: KoaContext & { oidc: OidcContext }) => {
    if (ctx.oidc.client.clientId !== CLIENTS.workload.id) {
      throw new errors.UnauthorizedClient("this client may not use workload identity grants");
    }
  };
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx) => {
      onlyWorkloadClient(ctx);
      const { params } = ctx.oidc;
      if (!params.subject_token_type || !JWT_TYPES.includes(params.subject_token_type)) {
        throw new errors.InvalidRequest(
          `unsupported subject_token_type ${params.subject_token_type ?? "(none)"}`,
        );
      }
      if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest("only access tokens are issued");
      }
      const claims = await check(params.subject_token, "subject_token");
      await issueTokens(provider, ctx, resources, {
        accountId: claims.sub!,
        gty: "token_exchange",
        refreshToken: false,
        extra: { issued_token_type: ACCESS_TOKEN_TYPE },
      });
    },
    [
      "subject_token",
      "subject_token_type",
      "requested_token_type",
      "actor_token",
      "actor_token_type",
      "scope",
      "resource",
      "audience",
    ],
  );
  provider.registerGrantType(
    JWT_BEARER,
    async (ctx) => {
      onlyWorkloadClient(ctx);
      const claims = await check(ctx.oidc.params.assertion, "assertion");
      await issueTokens(provider, ctx, resources, {
        accountId: claims.sub!,
        gty: "jwt_bearer",
        refreshToken: false,
      });
    },
    ["assertion", "scope", "resource", "audience"],
  );
}

/**
 * In front of POST /token, the request body `text`: a client assertion from the CI issuer for
 * `svc-federated` is checked here and, when good, replaced by that client's own (IdP-internal)
 * secret, for oidc-provider to read; a bad one is refused (answered 401 invalid_client, with
 * `refused` as its description). Any other body comes back as it is.
 */
export async function federatedClientAssertion(
  text: string,
  ci: CiIssuerHandle,
  issuer: string,
): Promise<{ body: string } | { refused: string }> {
  const form = new URLSearchParams(text);
  const assertion = form.get("client_assertion");
  if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE || !assertion) {
    return { body: text };
  }
  if (unverifiedIssuer(assertion) !== ci.controls.issuer) return { body: text };
  const clientId = form.get("client_id") ?? CLIENTS.federated.id;
  if (clientId !== CLIENTS.federated.id) {
    return { refused: `client ${clientId} has no federated credential for this issuer` };
  }
  let sub: string | undefined;
  try {
    sub = (await ci.verify(assertion, [issuer, `${issuer}/token`])).sub;
  } catch (err) {
    return { refused: `the client assertion was not accepted: ${(err as Error).message}` };
  }
  if (sub !== CI_SUBJECT) return { refused: `no federated credential for subject ${sub}` };
  form.delete("client_assertion");
  form.delete("client_assertion_type");
  form.set("client_id", CLIENTS.federated.id);
  form.set("client_secret", CLIENTS.federated.secret);
  return { body: form.toString() };
}

function unverifiedIssuer(jwt: string): unknown {
  try {
    const payload = jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    return (JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "="))) as {
      iss?: unknown;
    }).iss;
  } catch {
    return undefined;
  }
}
