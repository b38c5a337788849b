/**
 * `lmi login sso [NAME] [--device] [--no-browser] [--port N] [--timeout D] [--scope S]...
 * [--acr-values V] [--max-age D]`: NAME is the SSO provider (default "default", `[sso]` itself);
 * the last three ask for more than the provider's table does, for this sign-in (what an API's
 * step-up answer names, RFC 9470).
 *
 * @module
 */
import { requireSsoConfig, ssoLabel } from "../config/sso.ts";
import { q, UsageError } from "../errors.ts";
import { STEP_UP_WORD } from "../http/step_up.ts";
import { storeFor } from "../sso/sso.ts";
import { type LoginSsoOptions, signIn } from "../sso/sign_in.ts";
import type { SignInSso } from "../sso/login.ts";
import { configFor } from "./common.ts";
import { durationFlag } from "./duration_flag.ts";
import type { CommandArgs, CommandContext, Flags, LOGIN_SSO_OPTIONS } from "./spec.ts";

export type { LoginSsoOptions };

/** The sign-in's options, the provider named (none: "default"), and what it asks besides. */
export interface LoginSsoCommandOptions extends LoginSsoOptions {
  provider?: string;
  /** `--scope`: scopes added to the provider's scopes for this sign-in. */
  scopes: string[];
  /** `--acr-values`: space-separated. */
  acrValues?: string;
  /** `--max-age`, in seconds. */
  maxAge?: number;
}

/** The space-separated words of a flag's values, each checked. */
function flagWords(flag: string, values: readonly string[]): string[] {
  const words = values.flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const bad = words.find((w) => !STEP_UP_WORD.test(w));
  if (bad !== undefined || (values.length > 0 && words.length === 0)) {
    throw new UsageError("BAD_FLAG_VALUE", `--${flag}: invalid value ${q(bad ?? values[0])}`, {
      hint: 'printable ASCII words without quotes or backslashes, e.g. "phr" or "api.write"',
    });
  }
  return [...new Set(words)];
}

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
    scopes: flagWords("scope", flags.scope),
  };
  const acr = flags["acr-values"];
  if (acr !== undefined) options.acrValues = flagWords("acr-values", [acr]).join(" ");
  if (flags["max-age"] !== undefined) {
    options.maxAge = Math.floor(durationFlag(flags, "max-age", 0) / 1000);
  }
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
  const sso: SignInSso = {
    ...requireSsoConfig(ctx.deps, await configFor(ctx), options.provider),
  };
  sso.scopes = [...new Set([...sso.scopes, ...options.scopes])];
  if (options.acrValues !== undefined) sso.acrValues = options.acrValues;
  if (options.maxAge !== undefined) sso.maxAge = options.maxAge;
  // signIn hands the settings on to the sign-in as they are: the additions above included.
  const session = await signIn(sso, ctx, options);
  const store = await storeFor(ctx);
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  ctx.log.say(`Signed in to ${ssoLabel(sso)} as ${who} (session kept in the ${store.label})`);
  return 0;
}
