/**
 * Signing in: authorization code with PKCE (S256), state and nonce through the loopback
 * redirect and the system browser; or the device authorization grant (RFC 8628). Both end with
 * a verified ID token and an SSO session.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { signInCommand, type SsoConfig, ssoTable } from "../config/sso.ts";
import { formatDuration } from "../config/duration.ts";
import { AuthError, FailedError, LmiError, q } from "../errors.ts";
import { toLmiError } from "../oauth/errors.ts";
import type { Logger } from "../ui/log.ts";
import { CLOCK_TOLERANCE_S, createVerifier } from "../tokens/verify.ts";
import { fetchJwks } from "../tokens/jwks_fetch.ts";
import { noBrowserReason, openBrowser } from "./browser.ts";
import { pages, startLoopback } from "./loopback.ts";
import { waitForPaste } from "./paste.ts";
import { ssoConnection } from "./oidc.ts";
import {
  type AuthorizationAnswer,
  authorizationRequest,
  checkAuthorizationResponse,
  exchangeCode,
  expectedResponse,
  pollDeviceAuthorization,
  randomState,
  signInAgeError,
  startDeviceAuthorization,
} from "../oauth/user_grants.ts";
import { type GrantConnection, type TokenResponse, withDpop } from "../oauth/grants.ts";
import { showWaiting } from "../ui/progress.ts";
import { ungrantedScopesWarning } from "../oauth/granted_scopes.ts";
import { printable, safeText } from "../ui/text.ts";
import { SESSION_VERSION, type SsoSession } from "./session.ts";

export interface LoginContext {
  deps: Pick<Deps, "fetch" | "now" | "env" | "os" | "sleep" | "stderr" | "onInterrupt">;
  log: Logger;
}

export interface BrowserLoginOptions {
  /**
   * Open the system browser. Without it the URL is printed, and besides the loopback redirect
   * the address the browser ended on is taken from stdin (a browser on another machine).
   */
  openBrowser: boolean;
  port?: number;
  timeoutMs: number;
}

/** A browser sign-in also reads stdin (a pasted address). */
export type BrowserLoginContext = LoginContext & {
  deps: Pick<Deps, "readLine" | "stdinIsTerminal">;
};

/** Where the answer to the authorization request came from. */
interface Answered {
  url: URL;
  pasted: boolean;
}

type Conn = Awaited<ReturnType<typeof ssoConnection>>;

/**
 * The [sso] settings as one sign-in uses them: `lmi login sso --scope` added to `scopes`, and
 * what `--acr-values` and `--max-age` ask of the IdP (OIDC Core 1.0 §3.1.2.1, RFC 9470 §4).
 */
export interface SignInSso extends SsoConfig {
  /** `acr_values`: authentication context classes, space-separated, in order of preference. */
  acrValues?: string;
  /** `max_age`: the longest time since the person authenticated, in seconds. */
  maxAge?: number;
}

/** What the session records of how the person signed in: the ID token's `acr` and `auth_time`. */
type SignedInWith = Pick<SsoSession, "acr" | "auth_time">;

/**
 * The ID token's `acr` and `auth_time` (when it has them). At a sign-in that asked for them they
 * are checked too: an `auth_time` older than `max_age` fails (openid-client checks it in the code
 * exchange already; this covers the device flow), an `acr` not among `acr_values` is a warning
 * (RFC 9470 §4: the client should check; the API decides).
 */
function signedInWith(
  claims: Record<string, unknown>,
  sso: SignInSso,
  signingIn: boolean,
  ctx: LoginContext,
): SignedInWith {
  const out: SignedInWith = {};
  const { acr, auth_time: authTime } = claims;
  if (typeof acr === "string" && acr !== "" && acr.length <= 256) out.acr = acr;
  const when = typeof authTime === "number" && authTime >= 0 && authTime < 1e11
    ? authTime
    : undefined;
  if (when !== undefined) out.auth_time = new Date(when * 1000).toISOString();
  if (!signingIn) return out;
  if (sso.maxAge !== undefined) {
    const age = when === undefined ? undefined : ctx.deps.now() / 1000 - when;
    if (age === undefined || age > sso.maxAge + CLOCK_TOLERANCE_S) {
      throw signInAgeError(age, sso.maxAge);
    }
  }
  if (sso.acrValues && !(out.acr && sso.acrValues.split(" ").includes(out.acr))) {
    ctx.log.warn(
      `the IdP signed you in ${
        out.acr ? `with acr ${q(printable(out.acr))}` : "without an acr"
      }, not one of --acr-values ${
        q(sso.acrValues)
      } asked for; an API that asks for it will refuse this session`,
    );
  }
  return out;
}

/**
 * With `[sso] dpop = true`: a new key pair for this sign-in (kept with the session; its private
 * part redacted from then on) and the connection whose token requests prove possession of it.
 */
async function signInConnection(
  sso: SsoConfig,
  conn: Conn,
  ctx: LoginContext,
): Promise<{ tokenConn: GrantConnection; dpopJwk?: JsonWebKey }> {
  if (!sso.dpop) return { tokenConn: conn };
  const { generateDpopKey } = await import("../tokens/dpop_key.ts");
  const { key, jwk } = await generateDpopKey();
  ctx.log.redactor.add(jwk.d);
  ctx.log.info(`made a new DPoP key for the SSO session (thumbprint ${key.jkt})`);
  return { tokenConn: withDpop(conn, key), dpopJwk: jwk };
}

/** Check the ID token (signature against the JWKS, iss, aud, exp) and build the session. */
export async function sessionFrom(
  response: TokenResponse,
  sso: SignInSso,
  conn: Conn,
  ctx: LoginContext,
  previous?: SsoSession,
  /** The DPoP key the tokens were requested with (default: the previous session's). */
  dpopJwk: JsonWebKey | undefined = previous?.dpop_jwk,
): Promise<SsoSession> {
  ctx.log.redactor.add(response.access_token);
  ctx.log.redactor.add(response.refresh_token);
  ctx.log.redactor.add(response.id_token);
  let user = previous?.user;
  /** What the previous session knew of the sign-in, unless a new ID token says otherwise. */
  let how: SignedInWith = {};
  if (previous?.acr) how.acr = previous.acr;
  if (previous?.auth_time) how.auth_time = previous.auth_time;
  const idToken = response.id_token ?? previous?.id_token;
  if (response.id_token) {
    const verifier = createVerifier({
      path: undefined,
      fetchJwks: (keys) => fetchJwks(keys, conn.transport.fetch),
      now: ctx.deps.now,
      log: ctx.log,
      issuerKeys: () =>
        Promise.resolve(
          conn.server.jwks_uri
            ? { issuer: conn.server.issuer, jwks_uri: conn.server.jwks_uri }
            : undefined,
        ),
    });
    const verdict = await verifier.verify(response.id_token, {
      audience: sso.clientId,
      strict: true,
    });
    if (!verdict.ok) {
      throw new AuthError(
        "ID_TOKEN_INVALID",
        `the ID token failed verification: ${verdict.reason}`,
        {
          hint:
            "check [sso] issuer and client_id against the IdP; if it mentions the clock, check this machine's time",
        },
      );
    }
    const claims = verdict.claims ?? {};
    user = { sub: String(claims.sub) };
    if (typeof claims.email === "string") user.email = claims.email;
    if (typeof claims.name === "string") user.name = claims.name;
    how = { ...how, ...signedInWith(claims, sso, previous === undefined, ctx) };
    if (previous && previous.user.sub !== user.sub) {
      throw new AuthError("ID_TOKEN_INVALID", "the refreshed ID token is for another user", {
        hint: `run ${signInCommand(sso)}`,
      });
    }
  }
  if (!user) {
    throw new AuthError("NO_ID_TOKEN", "the IdP returned no ID token", {
      hint: 'include "openid" in [sso] scopes',
    });
  }
  const now = ctx.deps.now();
  const session: SsoSession = {
    version: SESSION_VERSION,
    issuer: sso.issuer,
    client_id: sso.clientId,
    access_token: response.access_token,
    token_type: response.token_type ?? "Bearer",
    expires_at: new Date(now + (response.expires_in ?? 3600) * 1000).toISOString(),
    user,
    obtained_at: new Date(now).toISOString(),
    ...how,
  };
  const refresh = response.refresh_token ?? previous?.refresh_token;
  if (refresh) session.refresh_token = refresh;
  if (idToken) session.id_token = idToken;
  if (response.scope) session.scope = response.scope;
  // What was asked: the configured scopes at a sign-in; at a refresh (which asks for no scope),
  // what the session had, so a scope missing since the sign-in is not said again.
  const requested = previous?.scope?.split(" ").filter(Boolean) ?? sso.scopes;
  const ungranted = ungrantedScopesWarning(
    requested,
    {
      ...(response.scope !== undefined ? { scope: response.scope } : {}),
      ...(refresh !== undefined ? { refresh_token: refresh } : {}),
      ...(idToken !== undefined ? { id_token: idToken } : {}),
    },
    "the SSO session",
  );
  if (ungranted) ctx.log.warn(ungranted);
  if (dpopJwk) {
    session.dpop_jwk = dpopJwk;
    if (session.token_type.toLowerCase() !== "dpop") {
      ctx.log.warnOnce(
        "sso-dpop-bearer",
        `the IdP issued a ${
          printable(session.token_type)
        } SSO token although DPoP proofs were sent; using it unbound (check that the IdP supports DPoP)`,
      );
    }
  }
  return session;
}

/**
 * Authorization code + PKCE through the browser and a loopback redirect; without a browser
 * opened here, whichever comes first of the redirect and the address the browser ended on,
 * pasted on stdin. Both are checked alike (checkAuthorizationResponse).
 */
export async function browserLogin(
  sso: SignInSso,
  ctx: BrowserLoginContext,
  options: BrowserLoginOptions,
): Promise<SsoSession> {
  const { log } = ctx;
  const conn = await ssoConnection(sso, ctx);
  const { tokenConn, dpopJwk } = await signInConnection(sso, conn, ctx);
  const state = randomState(conn);
  const loopback = startLoopback(sso.redirectHost, options.port ?? sso.redirectPort, state);
  // No browser opened here: the one used may be on another machine, whose address is pasted.
  const paste = !options.openBrowser;
  const stopReading = new AbortController();
  try {
    const pending = await authorizationRequest(conn, {
      redirectUri: loopback.redirectUri,
      scope: sso.scopes.join(" "),
      state,
      prompt: sso.prompt,
      acrValues: sso.acrValues,
      maxAge: sso.maxAge,
    });
    const url = new URL(pending.url);
    if (options.openBrowser) {
      log.say("Sign in to lmi in your browser. If it does not open, visit this URL:");
      log.say(`  ${url.href}`);
      if (!openBrowser(ctx.deps, url.href)) {
        log.warn("could not start a browser; open the URL above yourself");
      }
    } else {
      log.say("To sign in to lmi, open this URL in a browser:");
      log.say(`  ${url.href}`);
      log.say(
        "If the browser is on another machine, the page it ends on will not load: " +
          "paste that page's address here.",
      );
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new AuthError(
            "LOGIN_TIMEOUT",
            `nobody completed the sign-in within ${formatDuration(options.timeoutMs)}`,
            {
              hint: loginTimeoutHint(
                sso,
                !options.openBrowser,
                loopback.redirectUri,
                (options.port ?? sso.redirectPort) !== 0,
                conn.server.device_authorization_endpoint !== undefined,
              ),
            },
          ),
        ), options.timeoutMs);
    });
    const waiting = showWaiting({
      log,
      now: ctx.deps.now,
      terminal: ctx.deps.stderr.isTerminal,
      typing: paste && ctx.deps.stdinIsTerminal,
      deadline: ctx.deps.now() + options.timeoutMs,
      what: "waiting for the sign-in",
      onInterrupt: ctx.deps.onInterrupt,
    });
    const redirected = loopback.result.then((url): Answered => ({ url, pasted: false }));
    const pasted = paste
      ? waitForPaste(ctx.deps, log, loopback.redirectUri, stopReading.signal)
        .then((url): Answered => ({ url, pasted: true }))
      : new Promise<never>(() => {});
    let answered: Answered;
    try {
      answered = await Promise.race([redirected, pasted, timeout, waiting.interrupted]);
    } finally {
      clearTimeout(timer);
      waiting.stop();
      stopReading.abort();
    }
    // The code is a secret until it is exchanged (and the address that holds it with it).
    log.redactor.add(answered.url.searchParams.get("code") ?? undefined);
    let result: AuthorizationAnswer;
    try {
      result = checkAuthorizationResponse(
        answered.url,
        expectedResponse(conn, pending),
        answered.pasted ? "the pasted address" : "the redirect to lmi",
        answered.pasted
          ? `run ${signInCommand(sso, "--no-browser")} again, open the URL it prints and paste ` +
            "the whole address that browser ends on"
          : `run ${signInCommand(sso)} again; if it happens again, check the issuer in ` +
            `${ssoTable(sso.name)} against the IdP`,
      );
    } catch (err) {
      await loopback.finish(pages.failure(`Sign-in failed: ${(err as Error).message}.`), 400);
      throw err;
    }
    if (result.kind === "error") {
      // What the IdP put in the callback is its text: capped and cleaned before it is shown.
      const error = safeText(result.error, 64);
      const desc = result.description ? `: ${safeText(result.description, 200)}` : "";
      await loopback.finish(
        pages.failure(`The identity provider refused the sign-in (${error}${desc}).`),
        400,
      );
      throw new AuthError("LOGIN_REFUSED", `the IdP refused the sign-in (${error}${desc})`, {
        hint: result.error === "access_denied"
          ? "sign in again and approve the request"
          : "see the IdP's message",
        oauthError: error,
      });
    }
    let session: SsoSession;
    try {
      const tokens = await exchangeCode(tokenConn, result.url, pending);
      session = await sessionFrom(tokens, sso, conn, ctx, undefined, dpopJwk);
    } catch (err) {
      const e = err instanceof LmiError
        ? err
        : toLmiError(err, { what: "code exchange", last: conn.transport.last() });
      await loopback.finish(pages.failure(`Sign-in failed: ${e.message}.`), 400);
      throw e;
    }
    await loopback.finish(
      pages.success(session.user.email ?? session.user.name ?? session.user.sub),
    );
    return session;
  } finally {
    await loopback.close().catch(() => {});
  }
}

/**
 * What to do after a browser sign-in nobody completed: again, with more time or (where the IdP
 * offers it) the device flow; and, since an IdP that refuses the redirect URI leaves the browser
 * on its error page, which URI lmi waited at and what IdPs that match it exactly need.
 */
export function loginTimeoutHint(
  sso: SignInSso,
  noBrowser: boolean,
  redirectUri: string,
  fixedPort: boolean,
  offersDevice: boolean,
): string {
  const command = noBrowser ? signInCommand(sso, "--no-browser") : signInCommand(sso);
  const again = `run ${command} again (--timeout sets how long it waits${
    offersDevice ? "; --device signs in from another device" : ""
  })`;
  const uri = `If the browser never came back to ${redirectUri}: `;
  return fixedPort
    ? `${again}. ${uri}check that the IdP has this redirect URI registered`
    : `${again}. ${uri}IdPs that match redirect URIs exactly, port included, need redirect_port ` +
      `set in ${
        ssoTable(sso.name)
      } (or --port) and that redirect URI, with its port, registered with them`;
}

/** The device authorization grant (RFC 8628): a code to enter on another device. */
export async function deviceLogin(
  sso: SignInSso,
  ctx: LoginContext,
  options: { timeoutMs: number },
): Promise<SsoSession> {
  const { log } = ctx;
  const conn = await ssoConnection(sso, ctx);
  if (!conn.server.device_authorization_endpoint) {
    throw new FailedError(
      "NO_DEVICE_FLOW",
      `the IdP ${sso.issuer} does not offer the device authorization grant`,
      {
        hint: `sign in with the browser (${signInCommand(sso)} without --device)`,
      },
    );
  }
  const { tokenConn, dpopJwk } = await signInConnection(sso, conn, ctx);
  const again = signInCommand(sso, "--device");
  const device = await startDeviceAuthorization(conn, sso.scopes.join(" "), {
    acrValues: sso.acrValues,
    maxAge: sso.maxAge,
  });
  // The user code is meant to be read, also where the complete URI carries it as `?code=`
  // (glewlwyd): printed as is, with control characters removed.
  log.sayAsIs(
    `To sign in, visit ${printable(device.verification_uri)} and enter the code ${
      printable(device.user_code)
    }`,
  );
  if (device.verification_uri_complete) {
    log.sayAsIs(`(or open ${printable(device.verification_uri_complete)})`);
  }
  const deadline = ctx.deps.now() + device.expires_in * 1000;
  // --timeout bounds the wait when it ends before the device code expires.
  const stopAt = Math.min(deadline, ctx.deps.now() + options.timeoutMs);
  const stopped = AbortSignal.timeout(Math.max(0, stopAt - ctx.deps.now()));
  const waiting = showWaiting({
    log,
    now: ctx.deps.now,
    terminal: ctx.deps.stderr.isTerminal,
    deadline: stopAt,
    what: "waiting for the sign-in",
    onInterrupt: ctx.deps.onInterrupt,
  });
  try {
    const tokens = await Promise.race([
      pollDeviceAuthorization(tokenConn, device, AbortSignal.any([stopped, waiting.signal])),
      waiting.interrupted,
    ]);
    return await sessionFrom(tokens, sso, conn, ctx, undefined, dpopJwk);
  } catch (err) {
    if (waiting.signal.aborted) throw waiting.signal.reason;
    if (stopped.aborted && stopAt < deadline) {
      throw new AuthError(
        "LOGIN_TIMEOUT",
        `nobody completed the sign-in within ${formatDuration(options.timeoutMs)}`,
        {
          hint: `run ${again} again (--timeout sets how long it waits)`,
          cause: err,
        },
      );
    }
    const e = toLmiError(err, { what: "device sign-in", last: conn.transport.last() });
    if (e instanceof AuthError && e.oauthError === "access_denied") {
      throw new AuthError("LOGIN_REFUSED", "the sign-in was denied on the other device", {
        hint: `run ${again} again`,
        cause: err,
      });
    }
    // openid-client stops polling by itself when expires_in has passed (OAUTH_TIMEOUT), which
    // is the same ending as the IdP answering expired_token.
    const codeExpired = (err as { code?: string })?.code === "OAUTH_TIMEOUT" &&
      ctx.deps.now() >= deadline - 2000;
    if ((e instanceof AuthError && e.oauthError === "expired_token") || codeExpired) {
      throw new AuthError(
        "LOGIN_TIMEOUT",
        "the device code expired before the sign-in was completed",
        {
          hint: `run ${again} again and enter the code sooner`,
          cause: err,
        },
      );
    }
    throw e;
  } finally {
    waiting.stop();
  }
}

export { noBrowserReason };
