/**
 * `lmi login sso [--device] [--no-browser] [--port N] [--timeout D]`.
 *
 * @module
 */
import { requireSsoConfig } from "../config/sso.ts";
import { q, UsageError } from "../errors.ts";
import { storeFor } from "../sso/sso.ts";
import { type LoginSsoOptions, signIn } from "../sso/sign_in.ts";
import { configFor } from "./common.ts";
import { durationFlag } from "./duration_flag.ts";
import type { CommandContext, Flags, LOGIN_SSO_OPTIONS } from "./spec.ts";

export type { LoginSsoOptions };

/** Flags → options (no I/O). */
export function parseOptions(flags: Flags<typeof LOGIN_SSO_OPTIONS>): LoginSsoOptions {
  const options: LoginSsoOptions = {
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
  return options;
}

export async function run(options: LoginSsoOptions, ctx: CommandContext): Promise<number> {
  const sso = requireSsoConfig(ctx.deps, await configFor(ctx));
  const session = await signIn(sso, ctx, options);
  const store = await storeFor(ctx);
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  ctx.log.say(`Signed in to ${sso.issuer} as ${who} (session kept in the ${store.label})`);
  return 0;
}
