/**
 * Start and stop: `startDevIdp` brings up the protected API, then the IdP on its own port with
 * the tests' hooks (counters, faults, discovery mode, login pages) in front of oidc-provider,
 * and returns the `DevIdp` handle whose close() stops both.
 *
 * @module
 */
import { startApi } from "./api.ts";
import { devIdpClients } from "./clients.ts";
import { tokenEndpointHooks } from "./faults.ts";
import { interaction } from "./interaction.ts";
import { type CiIssuerHandle, startCiIssuer } from "./ci_issuer.ts";
import { clientKeyPair, jwtVerifier } from "./keys.ts";
import { federatedClientAssertion } from "./workload.ts";
import { listenNodeServer, type NodeServer } from "./node_server.ts";
import type { OidcProvider } from "./oidc_types.ts";
import { createProvider } from "./provider.ts";
import { OPAQUE_RESOURCE } from "./resources.ts";
import type { DevIdp, DevIdpOptions } from "./types.ts";
import { devIdpUsers } from "./users.ts";

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const accessTokenTtl = positiveInt(options.accessTokenTtl ?? 3600, "accessTokenTtl");
  const discovery = options.discovery ?? "oidc";
  if (discovery !== "oidc" && discovery !== "oauth") {
    throw new RangeError(`discovery must be "oidc" or "oauth", got ${String(discovery)}`);
  }

  const closing = new AbortController();
  const hooks = tokenEndpointHooks(closing.signal);

  // 1. The protected API first: its origin names the resource the IdP issues tokens for.
  const api = await startApi(closing.signal);
  const apiUrl = `http://127.0.0.1:${api.port}`;
  const resource = `${apiUrl}/`;

  // 2. The IdP's HTTP server, listening before the provider exists (the issuer needs the port).
  let server: NodeServer;
  try {
    server = await listenNodeServer();
  } catch (err) {
    await api.close();
    throw err;
  }
  const issuer = `http://127.0.0.1:${server.port}`;
  const jwtClient = await clientKeyPair();
  let ci: CiIssuerHandle;
  try {
    ci = await startCiIssuer();
  } catch (err) {
    await server.close();
    await api.close();
    throw err;
  }
  const jwksUri = `${issuer}/jwks`;
  api.verifyWith(jwtVerifier(issuer, jwksUri, resource));

  let provider: OidcProvider;
  try {
    provider = await createProvider({
      issuer,
      resource,
      accessTokenTtl,
      deviceCodeTtl: positiveInt(options.deviceCodeTtl ?? 600, "deviceCodeTtl"),
      jwtClientKey: jwtClient.publicJwk,
      ci,
      ...(options.dpop ? { dpop: options.dpop } : {}),
    });
  } catch (err) {
    await server.close();
    await api.close();
    await ci.close();
    throw err;
  }

  // 3. What the tests need around it: counters, faults, discovery mode, the login page.
  provider.use(async (ctx, next) => {
    if (ctx.method === "POST" && ctx.path === "/token") {
      if (await federatedClientAssertion(ctx, ci, issuer)) await hooks.handle(ctx, next);
      return;
    }
    if (discovery === "oauth" && ctx.path === "/.well-known/openid-configuration") {
      ctx.status = 404;
      ctx.body = { error: "not_found", error_description: "this IdP offers RFC 8414 only" };
      return;
    }
    if (ctx.path.startsWith("/interaction/")) {
      await interaction(provider, ctx);
      return;
    }
    await next();
  });
  server.serve(provider.callback());

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing.abort();
      await Promise.all([server.close(), api.close(), ci.close()]);
    })();
    return closed;
  };

  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    jwksUri,
    apiUrl,
    resource,
    opaqueResource: OPAQUE_RESOURCE,
    clients: devIdpClients(jwtClient.privateKeyPem),
    users: devIdpUsers(),
    ci: ci.controls,
    stats: hooks.stats,
    faults: hooks.faults,
    api: api.controls,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function positiveInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}
