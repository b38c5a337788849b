/**
 * The CLI's offer to sign in again when a command needs an SSO session that is missing or can no
 * longer be refreshed: only in an interactive run (src/ui/interactive.ts), "[Y/n]", asked once
 * this lmi has the turn to sign in (another lmi signing in meanwhile is waited for instead).
 *
 * @module
 */
import { DEFAULT_PROVIDER, ssoLabel } from "../config/sso.ts";
import type { OfferLogin } from "../sso/sign_in.ts";
import type { SsoContext } from "../sso/sso.ts";
import type { SsoConfig } from "../config/sso.ts";
import { isInteractive } from "../ui/interactive.ts";

export const offerLoginInTerminal: OfferLogin = async (sso, ctx) => {
  if (!isInteractive(ctx.deps)) return undefined;
  const { signIn } = await import("../sso/sign_in.ts");
  return await signIn(sso, ctx, {
    device: false,
    openBrowser: true,
    timeoutMs: 5 * 60_000,
    confirm: () => askToSignIn(sso, ctx),
  }, true);
};

async function askToSignIn(sso: SsoConfig, ctx: SsoContext): Promise<boolean> {
  const which = sso.name === DEFAULT_PROVIDER ? "" : ` at ${ssoLabel(sso)}`;
  ctx.log.say(`Your SSO session${which} has expired or is missing. Sign in again now? [Y/n] `);
  await ctx.log.flush();
  const answer = (await ctx.deps.readLine())?.trim().toLowerCase() ?? "n";
  return answer === "" || answer === "y" || answer === "yes";
}
