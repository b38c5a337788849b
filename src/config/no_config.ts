/**
 * The error for a run that found no config at all: where lmi looked (the nearest `lmi.toml` from
 * the current folder up, `LMI_CONFIG`, the user config file) and the ways to give it one. It
 * never names an env the user did not name.
 *
 * @module
 */
import { ConfigError, q } from "../errors.ts";
import type { ConfigSearch } from "./load.ts";

/**
 * `no lmi.toml in /work and the folders above it, LMI_CONFIG is not set, and no user config at
 * /home/me/.config/lmi/config.toml`
 */
export function whereLooked(search: ConfigSearch | undefined): string {
  if (!search) return "no config file found";
  const user = search.userConfig ? `no user config at ${search.userConfig}` : "no user config";
  return `no lmi.toml in ${search.cwd} and the folders above it, LMI_CONFIG is not set, and ${user}`;
}

const NAME_ONE = "name a config with --config PATH or LMI_CONFIG";

/**
 * No config file and no env from `LMI_*` variables: exit 3. `env` is the env's name when the user
 * gave one (--env, LMI_ENV); `note` is appended to the hint (why a `.env` defined nothing).
 */
export function noConfigFound(
  search: ConfigSearch | undefined,
  env: string | undefined,
  note = "",
): ConfigError {
  const message = env === undefined
    ? `no lmi config found: ${whereLooked(search)}`
    : `unknown env ${q(env)}: no lmi config found (${whereLooked(search)})`;
  return new ConfigError("NO_CONFIG", message, {
    hint: `${NAME_ONE}, write one with lmi init, or define an env with LMI_ISSUER (or ` +
      `LMI_TOKEN_URL) and LMI_CLIENT_ID${note}`,
  });
}

/** No config file, for a command that needs the `[sso]` table (`lmi login sso`): exit 3. */
export function noConfigForSso(search: ConfigSearch | undefined): ConfigError {
  return new ConfigError("NO_CONFIG", `no lmi config found: ${whereLooked(search)}`, {
    hint: `${NAME_ONE}, or write one with lmi init; SSO sign-in needs an [sso] table in it`,
  });
}
