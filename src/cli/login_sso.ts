/**
 * `lmi login sso [--device] [--no-browser] [--port N] [--timeout D]`.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../config/duration.ts";
import { requireSsoConfig } from "../config/sso.ts";
import { AuthError, q, UsageError } from "../errors.ts";
import { isInteractive, lockSso, type SsoContext, storeFor } from "../sso/sso.ts";
import { loadSession, saveSession, type SsoSession } from "../sso/session.ts";
import type { SsoConfig } from "../config/sso.ts";
import { configFor } from "./common.ts";
import type { CommandContext } from "./spec.ts";

export interface LoginSsoOptions {
  device: boolean;
  openBrowser: boolean;
  /**
   * The user asked for this sign-in by name with --device or --no-browser: it opens no browser
   * and asks nothing, so it runs without a terminal (CI, pipes, `ssh host lmi …`).
   */
  explicit?: boolean;
  port?: number;
  timeoutMs: number;
}

export function parseOptions(ctx: Pick<CommandContext, "flags">): LoginSsoOptions {
  const timeoutText = ctx.flags.timeout as string | undefined;
  const timeoutMs = timeoutText === undefined ? 5 * 60_000 : parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UsageError("BAD_FLAG_VALUE", `--timeout: invalid duration ${q(timeoutText)}`, {
      hint: `write ${DURATION_HINT}`,
    });
  }
  const options: LoginSsoOptions = {
    device: ctx.flags.device === true,
    openBrowser: ctx.flags["no-browser"] !== true,
    explicit: true,
    timeoutMs,
  };
  const portText = ctx.flags.port as string | undefined;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) {
      throw new UsageError("BAD_FLAG_VALUE", `--port: invalid port ${q(portText)}`, {
        hint: "a number from 0 to 65535 (0: any free port)",
      });
    }
    options.port = port;
  }
  return options;
}

/** Run the interactive sign-in (one at a time per issuer) and store the session. */
export async function signIn(
  sso: SsoConfig,
  ctx: SsoContext,
  options: LoginSsoOptions,
  /** Another lmi may have signed in while this one waited for the lock: use that session. */
  reuseFresh = false,
): Promise<SsoSession> {
  const headless = options.explicit === true && (options.device || !options.openBrowser);
  const interactive = isInteractive(ctx.deps);
  if (!interactive && !headless) {
    throw new AuthError(
      "NON_INTERACTIVE",
      "cannot sign in here: this run is not interactive (no terminal, or CI is set)",
      {
        hint:
          "run lmi login sso --device (or --no-browser), which needs no terminal; CI jobs should use an env with client credentials",
      },
    );
  }
  const { browserLogin, deviceLogin, noBrowserReason } = await import("../sso/login.ts");
  const lock = await lockSso(
    ctx,
    sso.issuer,
    "an SSO sign-in is in progress",
    options.timeoutMs + 60_000,
  );
  try {
    if (reuseFresh) {
      const current = await loadSession(await storeFor(ctx), sso.issuer, ctx.log);
      if (current && Date.parse(current.expires_at) - ctx.deps.now() > 60_000) return current;
    }
    let device = options.device;
    let openBrowser = options.openBrowser;
    const reason = !device && openBrowser && interactive ? noBrowserReason(ctx.deps) : undefined;
    if (reason) {
      const { ssoConnection } = await import("../sso/oidc.ts");
      const offersDevice =
        (await ssoConnection(sso, ctx)).metadata.device_authorization_endpoint !== undefined;
      ctx.log.info(`${reason}: ${offersDevice ? "using the device flow" : "printing the URL"}`);
      if (offersDevice) device = true;
      else openBrowser = false;
    }
    const session = device
      ? await deviceLogin(sso, ctx, { timeoutMs: options.timeoutMs })
      : await browserLogin(sso, ctx, {
        openBrowser,
        timeoutMs: options.timeoutMs,
        ...(options.port !== undefined ? { port: options.port } : {}),
      });
    await saveSession(await storeFor(ctx), session);
    return session;
  } finally {
    lock?.release();
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const options = parseOptions(ctx);
  const sso = requireSsoConfig(ctx.deps, await configFor(ctx));
  const session = await signIn(sso, ctx, options);
  const store = await storeFor(ctx);
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  ctx.log.say(`Signed in to ${sso.issuer} as ${who} (session kept in the ${store.name})`);
  return 0;
}
