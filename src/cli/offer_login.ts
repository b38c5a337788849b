/**
 * The CLI's offer to sign in again when a command needs an SSO session that is missing or can no
 * longer be refreshed: asked only in an interactive terminal, "[Y/n]".
 *
 * @module
 */
import { AuthError } from "../errors.ts";
import { DEFAULT_PROVIDER, ssoLabel, ssoLoginCommand } from "../config/sso.ts";
import type { OfferLogin } from "../sso/sign_in.ts";
import { isInteractive } from "../sso/sso.ts";

export const offerLoginInTerminal: OfferLogin = async (sso, ctx) => {
  if (!isInteractive(ctx.deps)) return undefined;
  const which = sso.name === DEFAULT_PROVIDER ? "" : ` at ${ssoLabel(sso)}`;
  ctx.log.say(`Your SSO session${which} has expired or is missing. Sign in again now? [Y/n] `);
  await ctx.log.flush();
  const answer = (await ctx.deps.readLine())?.trim().toLowerCase() ?? "n";
  if (answer !== "" && answer !== "y" && answer !== "yes") {
    const login = ssoLoginCommand(sso);
    throw new AuthError("SSO_REQUIRED", `session expired: run \`${login}\``, {
      hint: `sign in with ${login}`,
    });
  }
  const { signIn } = await import("../sso/sign_in.ts");
  return await signIn(sso, ctx, { device: false, openBrowser: true, timeoutMs: 5 * 60_000 }, true);
};
