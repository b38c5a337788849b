/**
 * Start and stop: `startDevIdp` brings up the protected API, then the IdP on its own port with
 * the tests' hooks (counters, faults, discovery mode, login pages) in front of oidc-provider,
 * and the CI issuer, and returns the `DevIdp` handle whose close() stops them all. A port given
 * and taken is a PortInUseError (ports.ts), with nothing left running.
 *
 * @module
 */
import { type ApiHandle, startApi } from "./api.ts";
import { devIdpClients } from "./clients.ts";
import { tokenEndpointHooks } from "./faults.ts";
import { interaction } from "./interaction.ts";
import { type CiIssuerHandle, startCiIssuer } from "./ci_issuer.ts";
import { clientKeyPair, jwtVerifier } from "./keys.ts";
import { federatedClientAssertion } from "./workload.ts";
import { listenNodeServer, type NodeServer } from "./node_server.ts";
import type { OidcProvider } from "./oidc_types.ts";
import { devIdpPorts, listenOn } from "./ports.ts";
import { createProvider } from "./provider.ts";
import { OPAQUE_RESOURCE } from "./resources.ts";
import type { DevIdp, DevIdpOptions } from "./types.ts";
import { devIdpUsers } from "./users.ts";
import { readNodeBody, replaceBody } from "./util.ts";

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const accessTokenTtl = positiveInt(options.accessTokenTtl ?? 3600, "accessTokenTtl");
  const discovery = options.discovery ?? "oidc";
  if (discovery !== "oidc" && discovery !== "oauth") {
    throw new RangeError(`discovery must be "oidc" or "oauth", got ${String(discovery)}`);
  }
  const ports = devIdpPorts(options.port ?? 0);

  const closing = new AbortController();
  const hooks = tokenEndpointHooks(closing.signal);
  const started: Array<() => Promise<void>> = [];
  const stopStarted = async () => {
    closing.abort();
    await Promise.all(started.map((close) => close()));
  };

  let api: ApiHandle;
  let server: NodeServer;
  let ci: CiIssuerHandle;
  let provider: OidcProvider;
  let issuer: string;
  let apiUrl: string;
  let resource: string;
  const jwtClient = await clientKeyPair();
  try {
    // 1. The protected API first: its origin names the resource the IdP issues tokens for.
    api = await listenOn(ports.api, (port) => startApi(closing.signal, port));
    started.push(api.close);
    apiUrl = `http://127.0.0.1:${api.port}`;
    resource = `${apiUrl}/`;

    // 2. The IdP's HTTP server, listening before the provider exists (the issuer needs the port).
    server = await listenOn(ports.idp, listenNodeServer);
    started.push(server.close);
    issuer = `http://127.0.0.1:${server.port}`;
    ci = await listenOn(ports.ci, startCiIssuer);
    started.push(ci.close);
    api.verifyWith(jwtVerifier(issuer, `${issuer}/jwks`, resource));

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
    await stopStarted();
    throw err;
  }
  const jwksUri = `${issuer}/jwks`;

  // 3. What the tests need around it: counters, faults, discovery mode, the login page.
  provider.use(async (ctx, next) => {
    if (ctx.method === "POST" && ctx.path === "/token") {
      const checked = await federatedClientAssertion(await readNodeBody(ctx.req), ci, issuer);
      if ("refused" in checked) {
        ctx.status = 401;
        ctx.body = { error: "invalid_client", error_description: checked.refused };
        return;
      }
      replaceBody(ctx, checked.body);
      await hooks.handle(ctx, next);
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
    // An IdP without the device flow, as far as lmi can tell: discovery does not offer it.
    if (options.deviceFlow === false && ctx.path.startsWith("/.well-known/")) {
      const body = ctx.body as Record<string, unknown> | undefined;
      if (body && typeof body === "object") delete body.device_authorization_endpoint;
    }
  });
  server.serve(provider.callback());

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => closed ??= stopStarted();

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
