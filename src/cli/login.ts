/**
 * `lmi login [--env NAME]`: acquire and cache the env's token now, checking config and secrets.
 *
 * @module
 */
import { q } from "../errors.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envFor } from "./common.ts";
import type { CommandContext } from "./spec.ts";

export async function run(ctx: CommandContext): Promise<number> {
  const { env } = await envFor(ctx);
  const { token, cached } = await acquireToken(env, ctx, { force: true });
  const until = token.expiresAt !== undefined
    ? `, valid until ${new Date(token.expiresAt).toISOString()}`
    : "";
  ctx.log.say(
    `Logged in to env ${q(env.name)} (${env.auth.type})${until}${cached ? "" : " (not cached)"}`,
  );
  return 0;
}
