/**
 * The `[sso]` table resolved: the company identity provider used by `lmi login sso`, by envs
 * with `requires_sso = true` and by envs with `auth.type = "sso"`.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError } from "../errors.ts";
import type { LoadedConfig } from "./load.ts";
import type { ResolvedEnv, SecretRef } from "./resolve.ts";
import { varLookupFor } from "./resolve.ts";

export interface SsoConfig {
  issuer: string;
  clientId: string;
  clientSecret?: SecretRef;
  scopes: string[];
  redirectPort: number;
  redirectHost: string;
  /** `dpop = true`: the session's tokens are DPoP-bound (RFC 9449); absent when off. */
  dpop?: boolean;
}

export const DEFAULT_SSO_SCOPES = ["openid", "profile", "email", "offline_access"];

/** The [sso] settings, or undefined when the config has no [sso] table. */
export function ssoConfig(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
): SsoConfig | undefined {
  const sso = config.file.sso;
  if (!sso) return undefined;
  if (!sso.issuer || !sso.client_id) {
    throw new ConfigError("CONFIG_INCOMPLETE", `${config.path}: [sso] needs issuer and client_id`, {
      hint: 'add issuer = "https://idp.example.com/…" and client_id = "lmi" to [sso]',
    });
  }
  const out: SsoConfig = {
    issuer: sso.issuer,
    clientId: sso.client_id,
    scopes: sso.scopes ?? DEFAULT_SSO_SCOPES,
    redirectPort: sso.redirect_port ?? 0,
    redirectHost: sso.redirect_host ?? "127.0.0.1",
  };
  if (sso.dpop) out.dpop = true;
  if (sso.client_secret_env) {
    const found = varLookupFor(deps, config, "sso").get(sso.client_secret_env);
    out.clientSecret = found
      ? { variable: sso.client_secret_env, value: found.value, source: found.source }
      : { variable: sso.client_secret_env };
  }
  return out;
}

/** The one error for SSO needed without an `[sso]` table (by a command, or by an env). */
export function ssoNotConfigured(configPath: string | undefined, envName?: string): ConfigError {
  const where = configPath ?? "the config (no config file found)";
  return new ConfigError(
    "SSO_NOT_CONFIGURED",
    envName === undefined
      ? `no [sso] table in ${where}`
      : `env "${envName}" needs SSO, but there is no [sso] table in ${where}`,
    { hint: 'add [sso] with issuer and client_id to lmi.toml (see "SSO setup" in the README)' },
  );
}

/** The [sso] settings, or a ConfigError saying how to add them. */
export function requireSsoConfig(deps: Pick<Deps, "env" | "cwd">, config: LoadedConfig): SsoConfig {
  const sso = ssoConfig(deps, config);
  if (!sso) throw ssoNotConfigured(config.path);
  return sso;
}

/** Attach the config's [sso] settings to an env that needs them. */
export function withSso(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  env: ResolvedEnv,
): ResolvedEnv {
  if (!env.requiresSso && env.auth.type !== "sso") return env;
  const sso = ssoConfig(deps, config);
  return sso ? { ...env, sso } : env;
}
