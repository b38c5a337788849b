/**
 * Getting a token for an env by its auth type: the one place commands ask for tokens.
 *
 * @module
 */
import type { ResolvedEnv } from "../config/resolve.ts";
import { ConfigError, q } from "../errors.ts";
import {
  getServiceToken,
  type ServiceContext,
  type ServiceTokenOptions,
  type TokenOutcome,
} from "./service.ts";

export async function acquireToken(
  env: ResolvedEnv,
  ctx: ServiceContext,
  options: ServiceTokenOptions,
): Promise<TokenOutcome> {
  switch (env.auth.type) {
    case "client_credentials":
    case "password":
      return await getServiceToken(env, ctx, options);
    case "none":
      throw new ConfigError(
        "NO_AUTH",
        `env ${q(env.name)} has no authentication (auth.type = "none")`,
        {
          hint: `set [envs.${env.name}.auth] type = "client_credentials" or "password"`,
        },
      );
    default:
      throw new ConfigError(
        "AUTH_TYPE_UNSUPPORTED",
        `auth type ${q(env.auth.type)} is not supported by this version of lmi`,
        {
          hint: 'use auth type "client_credentials" or "password"',
        },
      );
  }
}
