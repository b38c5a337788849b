/**
 * `lmi login sso [NAME] [--device] [--no-browser] [--port N] [--timeout D]`: NAME is the SSO
 * provider (default "default", `[sso]` itself).
 *
 * @module
 */
import { requireSsoConfig, ssoLabel } from "../config/sso.ts";
import { q, UsageError } from "../errors.ts";
import { storeFor } from "../sso/sso.ts";
import { type LoginSsoOptions, signIn } from "../sso/sign_in.ts";
import { configFor } from "./common.ts";
import { durationFlag } from "./duration_flag.ts";
import type { CommandArgs, CommandContext, Flags, LOGIN_SSO_OPTIONS } from "./spec.ts";

export type { LoginSsoOptions };

/** The sign-in's options and the provider named on the command line (none: "default"). */
export type LoginSsoCommandOptions = LoginSsoOptions & { provider?: string };

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof LOGIN_SSO_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): LoginSsoCommandOptions {
  const options: LoginSsoCommandOptions = {
    device: flags.device,
    openBrowser: !flags["no-browser"],
    explicit: true,
    timeoutMs: durationFlag(flags, "timeout", 5 * 60_000, { positive: true }),
  };
  const portText = flags.port;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) {
      throw new UsageError("BAD_FLAG_VALUE", `--port: invalid port ${q(portText)}`, {
        hint: "a number from 0 to 65535 (0: any free port)",
      });
    }
    options.port = port;
  }
  if (positionals[0] !== undefined) options.provider = positionals[0];
  return options;
}

export async function run(options: LoginSsoCommandOptions, ctx: CommandContext): Promise<number> {
  const sso = requireSsoConfig(ctx.deps, await configFor(ctx), options.provider);
  const session = await signIn(sso, ctx, options);
  const store = await storeFor(ctx);
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  ctx.log.say(`Signed in to ${ssoLabel(sso)} as ${who} (session kept in the ${store.label})`);
  return 0;
}
