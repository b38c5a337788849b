/**
 * The command line: `deno run -A scripts/dev_idp/mod.ts [--access-token-ttl N]
 * [--discovery oidc|oauth]` prints the endpoints, clients and user as JSON and serves until
 * SIGINT or SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startDevIdp } from "./start.ts";
import type { DevIdp, DevIdpOptions } from "./types.ts";

/** Runs the IdP with the options in `args` until a signal stops it. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "access-token-ttl": { type: "string" },
      discovery: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A scripts/dev_idp/mod.ts [--access-token-ttl SECONDS] [--discovery oidc|oauth]",
    );
    Deno.exit(0);
  }
  const options: DevIdpOptions = {};
  if (values["access-token-ttl"] !== undefined) {
    options.accessTokenTtl = Number(values["access-token-ttl"]);
  }
  if (values.discovery !== undefined) {
    options.discovery = values.discovery as "oidc" | "oauth";
  }
  // Listen for signals before starting, so that an early one still stops cleanly.
  const running: { idp?: DevIdp } = {};
  const stop = async () => {
    await running.idp?.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const idp = running.idp = await startDevIdp(options);
  const { stats: _stats, faults: _faults, api: _api, ...details } = idp;
  console.log(JSON.stringify(
    {
      ...details,
      discovery: {
        openid: options.discovery === "oauth"
          ? null
          : `${idp.issuer}/.well-known/openid-configuration`,
        oauth: `${idp.issuer}/.well-known/oauth-authorization-server`,
      },
      authorizationUrl: `${idp.issuer}/auth`,
      deviceAuthorizationUrl: `${idp.issuer}/device/auth`,
    },
    null,
    2,
  ));
}
