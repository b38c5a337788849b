/**
 * The browser part of the authorization code and device flows: a login form for the dev users;
 * consent is given automatically for whatever the client asked. A request with `acr_values`
 * naming one the IdP knows (ACR_VALUES) is signed in with that `acr`.
 *   GET  /interaction/:uid        login form (or, at the consent step, straight back to the IdP)
 *   POST /interaction/:uid/login  username + password
 *   GET  /interaction/:uid/abort  access_denied
 *
 * @module
 */
import type { InteractionDetails, KoaContext, OidcProvider } from "./oidc_types.ts";
import { errorPage, loginPage } from "./pages.ts";
import { authenticate } from "./users.ts";
import { ACR_VALUES } from "./provider.ts";
import { readNodeBody } from "./util.ts";

/** Answers a request below /interaction/. */
export async function interaction(provider: OidcProvider, ctx: KoaContext): Promise<void> {
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(ctx.path);
  if (!match) {
    ctx.status = 404;
    ctx.body = { error: "not_found" };
    return;
  }
  const [, uid, action] = match;
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = "html";
    ctx.body = errorPage((err as Error).message);
    return;
  }
  const finish = async (result: Record<string, unknown>, merge: boolean) => {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.redirect(returnTo);
    ctx.status = 303;
  };

  if (action === "/abort" && ctx.method === "GET") {
    return await finish(
      { error: "access_denied", error_description: "End-User aborted interaction" },
      false,
    );
  }

  if (details.prompt.name === "consent" && !action && ctx.method === "GET") {
    const { params, session, prompt } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({
        accountId: session?.accountId ?? "",
        clientId: params.client_id ?? "",
      });
    if (!grant) throw new Error("grant of the interaction not found");
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    return await finish({ consent: { grantId: await grant.save() } }, true);
  }

  if (details.prompt.name !== "login") {
    ctx.status = 501;
    ctx.body = { error: "not_implemented", error_description: details.prompt.name };
    return;
  }

  const client = await provider.Client.find(details.params.client_id ?? "");
  const clientName = client?.clientName ?? details.params.client_id ?? "";
  if (action === "/login" && ctx.method === "POST") {
    const form = new URLSearchParams(await readNodeBody(ctx.req));
    const user = authenticate(form.get("username") ?? "", form.get("password") ?? "");
    if (user) {
      const acr = details.params.acr_values?.split(" ").find((v) => ACR_VALUES.includes(v));
      return await finish({ login: { accountId: user.sub, ...(acr ? { acr } : {}) } }, false);
    }
    ctx.status = 401;
    ctx.type = "html";
    ctx.body = loginPage(uid ?? "", clientName, "Invalid username or password.");
    return;
  }
  if (action || ctx.method !== "GET") {
    ctx.status = 405;
    ctx.body = { error: "method_not_allowed" };
    return;
  }
  ctx.type = "html";
  ctx.body = loginPage(uid ?? "", clientName, "");
}
