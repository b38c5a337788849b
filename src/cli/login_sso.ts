/**
 * `lmi login sso [--device] [--no-browser] [--port N] [--timeout D]`.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../config/duration.ts";
import { requireSsoConfig } from "../config/sso.ts";
import { q, UsageError } from "../errors.ts";
import { storeFor } from "../sso/sso.ts";
import { type LoginSsoOptions, signIn } from "../sso/sign_in.ts";
import { configFor } from "./common.ts";
import type { CommandContext } from "./spec.ts";

export type { LoginSsoOptions };

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

export async function run(ctx: CommandContext): Promise<number> {
  const options = parseOptions(ctx);
  const sso = requireSsoConfig(ctx.deps, await configFor(ctx));
  const session = await signIn(sso, ctx, options);
  const store = await storeFor(ctx);
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  ctx.log.say(`Signed in to ${sso.issuer} as ${who} (session kept in the ${store.name})`);
  return 0;
}
