/**
 * `lmi login [--env NAME]`: acquire and cache the env's token now, checking config and secrets.
 * For an env with `auth.type = "sso"` it runs the SSO sign-in (as `lmi login sso` does).
 *
 * @module
 */
import { q } from "../errors.ts";
import { ssoLabel, ssoNotConfigured } from "../config/sso.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envFor } from "./common.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

export { noOptions as parseOptions } from "./spec.ts";

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const { env } = await envFor(ctx);
  if (env.auth.type === "sso") {
    if (!env.sso) throw ssoNotConfigured(env.configPath, env.name, env.ssoProvider);
    const { signIn } = await import("../sso/sign_in.ts");
    const session = await signIn(env.sso, ctx, {
      device: false,
      openBrowser: true,
      timeoutMs: 5 * 60_000,
    });
    ctx.log.say(
      `Signed in to ${ssoLabel(env.sso)} as ${
        session.user.email ?? session.user.name ?? session.user.sub
      }`,
    );
    return 0;
  }
  const { token, cached } = await acquireToken(env, ctx, { force: true });
  const until = token.expiresAt !== undefined
    ? `, valid until ${new Date(token.expiresAt).toISOString()}`
    : "";
  ctx.log.say(
    `Logged in to env ${q(env.name)} (${env.auth.type})${until}${cached ? "" : " (not cached)"}`,
  );
  return 0;
}
