/**
 * A sign-in to an SSO provider, one at a time per provider's session across processes
 * (sign_in_turn.ts), with the new session stored: the browser (authorization code + PKCE) or the
 * device flow. Interactive sign-ins need an interactive run (src/ui/interactive.ts); an explicit
 * `--device` or `--no-browser` one does not. Callers decide whether to sign in at all (the CLI
 * asks, under the turn; the library never does).
 *
 * @module
 */
import { AuthError } from "../errors.ts";
import { signInCommand, type SsoConfig } from "../config/sso.ts";
import { nonInteractiveReason } from "../ui/interactive.ts";
import { lockSso, SSO_REFRESH_MARGIN_MS, type SsoContext, storeFor } from "./sso.ts";
import { isFresh } from "../tokens/margin.ts";
import { loadSession, saveSession, sessionAccount, type SsoSession } from "./session.ts";
import { offersDeviceFlow } from "./sign_in_hint.ts";
import { takeSignInTurn } from "./sign_in_turn.ts";

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
  /**
   * Asked once this lmi has the turn to sign in and no other lmi signed in meanwhile (the CLI's
   * "Sign in again now?"); false: declined, and those waiting for this sign-in give up too.
   */
  confirm?: () => Promise<boolean>;
}

/**
 * A new sign-in offered to the user when the session is missing or cannot be refreshed; resolves
 * to undefined when the user declines or cannot be asked.
 */
export type OfferLogin = (sso: SsoConfig, ctx: SsoContext) => Promise<SsoSession | undefined>;

/** Run the interactive sign-in (one at a time per session) and store the session. */
export async function signIn(
  sso: SsoConfig,
  ctx: SsoContext,
  options: LoginSsoOptions,
  /** Another lmi may have signed in while this one waited for the lock: use that session. */
  reuseFresh = false,
): Promise<SsoSession> {
  const headless = options.explicit === true && (options.device || !options.openBrowser);
  const notInteractive = nonInteractiveReason(ctx.deps);
  const interactive = notInteractive === undefined;
  if (!interactive && !headless) {
    const how = await offersDeviceFlow(sso, ctx) ? "--device (or --no-browser)" : "--no-browser";
    throw new AuthError(
      "NON_INTERACTIVE",
      `cannot sign in here: this run is not interactive (${notInteractive})`,
      {
        hint: `run ${
          signInCommand(sso, how)
        }, which needs no terminal; CI jobs should use an env with client credentials`,
      },
    );
  }
  const { browserLogin, deviceLogin, noBrowserReason } = await import("./login.ts");
  // Waiting is bounded by the sign-in's own timeout, and a minute for a prompt or a slow IdP.
  const turn = await takeSignInTurn(
    ctx,
    sessionAccount(sso),
    options.timeoutMs + 60_000,
    signInCommand(sso),
  );
  try {
    if (reuseFresh) {
      const current = await loadSession(await storeFor(ctx), sso, ctx.log);
      if (current && isFresh(current, ctx.deps.now(), SSO_REFRESH_MARGIN_MS)) return current;
    }
    if (reuseFresh && turn.waited) await turn.takeOver();
    else await turn.begin();
    if (options.confirm && !await options.confirm()) {
      await turn.declined();
      const login = signInCommand(sso);
      throw new AuthError("SSO_REQUIRED", `sign-in declined: run \`${login}\` when you are ready`, {
        hint: `sign in with ${login}`,
      });
    }
    let device = options.device;
    let openBrowser = options.openBrowser;
    const reason = !device && openBrowser && interactive ? noBrowserReason(ctx.deps) : undefined;
    if (reason) {
      const { ssoConnection } = await import("./oidc.ts");
      const offersDevice =
        (await ssoConnection(sso, ctx)).server.device_authorization_endpoint !== undefined;
      // Said at every verbosity: the person expected a browser to open.
      ctx.log.say(
        `${reason[0]!.toUpperCase()}${reason.slice(1)}${
          offersDevice
            ? ": using the device flow"
            : " and the IdP offers no device flow: sign in in a browser anywhere and paste " +
              "the address it ends on"
        }`,
      );
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
    // Under the refresh lock: a refresh of the old session under way does not overwrite it.
    const saving = await lockSso(ctx, sso, "saving the new SSO session");
    try {
      await saveSession(await storeFor(ctx), session, sso);
    } finally {
      saving?.release();
    }
    return session;
  } finally {
    turn.release();
  }
}
