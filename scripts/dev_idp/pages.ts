/**
 * The HTML of the sign-in pages: the login form and the error page, and the pages oidc-provider
 * renders itself (device flow, sign-out, errors) in the same look. Given its own, oidc-provider
 * prints no "default … function called" notice and the pages fetch no web fonts.
 *
 * @module
 */
import type { KoaContext, OidcClient } from "./oidc_types.ts";

/** The login form of interaction `uid`, with `error` above it when there is one. */
export function loginPage(uid: string, clientName: string, error: string): string {
  return page(
    "Sign-in",
    `<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>Username <input id="username" name="username" required autofocus></label>
  <label>Password <input id="password" name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`,
  );
}

/** The sign-in page showing only `message`. */
export function errorPage(message: string): string {
  return page("Sign-in", `<p>${escapeHtml(message)}</p>`);
}

/** A name for `client` on a page. */
function clientName(client: OidcClient | undefined): string {
  return escapeHtml(client?.clientName ?? client?.clientId ?? "the application");
}

/**
 * oidc-provider's page options. Each `form` is oidc-provider's own (hidden fields, its id), which
 * the buttons submit.
 */
export const providerPages = {
  deviceFlow: {
    userCodeInputSource(
      ctx: KoaContext,
      form: string,
      _out: unknown,
      err?: Error & {
        userCode?: string;
      },
    ): Promise<void> {
      const problem = !err
        ? ""
        : err.userCode || err.name === "NoCodeError"
        ? "The code you entered is incorrect. Try again."
        : err.name === "AbortedError"
        ? "The sign-in request was interrupted."
        : "There was an error processing your request.";
      ctx.body = page(
        "Sign-in",
        `${problem ? `<p class="error" role="alert">${problem}</p>` : ""}
<p>Enter the code shown on your device.</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
      );
      return Promise.resolve();
    },
    userCodeConfirmSource(
      ctx: KoaContext,
      form: string,
      client: OidcClient,
      _deviceInfo: unknown,
      userCode: string,
    ): Promise<void> {
      ctx.body = page(
        "Confirm the device",
        `<p><strong>${clientName(client)}</strong> asks to sign you in. Your device should show
the code <code>${escapeHtml(userCode)}</code>; if it does not, abort.</p>
${form}
<button autofocus type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`,
      );
      return Promise.resolve();
    },
    successSource(ctx: KoaContext): Promise<void> {
      ctx.body = page(
        "Signed in",
        `<p>You are signed in to ${clientName(ctx.oidc?.client)}; you can close this page.</p>`,
      );
      return Promise.resolve();
    },
  },
  rpInitiatedLogout: {
    logoutSource(ctx: KoaContext, form: string): Promise<void> {
      ctx.body = page(
        "Sign out",
        `<p>Sign out from ${escapeHtml(ctx.host)}?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
      );
      return Promise.resolve();
    },
    postLogoutSuccessSource(ctx: KoaContext): Promise<void> {
      ctx.body = page("Signed out", "<p>You are signed out.</p>");
      return Promise.resolve();
    },
  },
  renderError(ctx: KoaContext, out: Record<string, unknown>): Promise<void> {
    ctx.type = "html";
    ctx.body = page(
      "Something went wrong",
      Object.entries(out)
        .map(([key, value]) =>
          `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`
        )
        .join("\n"),
    );
    return Promise.resolve();
  },
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · lmi dev IdP</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label{display:block;margin:.5rem 0}
input{display:block;width:100%}.error{color:#b00}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
