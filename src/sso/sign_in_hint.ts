/**
 * Sign-in hints that fit the IdP: `--device` is suggested only where the IdP's discovery
 * document offers the device authorization grant (RFC 8628).
 *
 * @module
 */
import type { SsoConfig } from "../config/sso.ts";
import type { ServerInfo } from "../oauth/client.ts";
import type { Deps } from "../context.ts";
import type { Logger } from "../ui/log.ts";

/** How long a hint may wait for discovery: it only words an error that is already certain. */
const HINT_DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * Whether the IdP offers the device flow: from `server` when discovery already ran, else from a
 * discovery request; false when that fails (then no hint suggests it).
 */
export async function offersDeviceFlow(
  sso: SsoConfig,
  ctx: { deps: Pick<Deps, "fetch" | "now" | "env" | "os">; log: Logger },
  server?: ServerInfo,
): Promise<boolean> {
  if (server) return server.device_authorization_endpoint !== undefined;
  try {
    const { ssoServer } = await import("./oidc.ts");
    const found = await ssoServer(sso, ctx, HINT_DISCOVERY_TIMEOUT_MS);
    return found.info.device_authorization_endpoint !== undefined;
  } catch (err) {
    ctx.log.debug(
      `cannot tell whether the IdP offers the device flow: ${
        err instanceof Error ? err.message : err
      }`,
    );
    return false;
  }
}
