/**
 * The `[sso]` table resolved: the company identity provider used by `lmi login sso`, by envs
 * with `requires_sso = true` and by envs with `auth.type = "sso"`.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError } from "../errors.ts";
import type { LoadedConfig } from "./load.ts";
import { noConfigForSso } from "./no_config.ts";
import type { SettingRef } from "./setting.ts";
import type { ResolvedEnv, SecretRef, Source } from "./resolve.ts";
import { varLookupFor } from "./resolve.ts";

export interface SsoConfig {
  issuer: string;
  /** Where `issuer` was set, for messages about it. */
  issuerSetting?: SettingRef;
  clientId: string;
  clientSecret?: SecretRef;
  scopes: string[];
  redirectPort: number;
  redirectHost: string;
  /**
   * The authorization request's `prompt`, sent as is; absent: none is sent. `[sso] prompt` when
   * set ("" sends none), else "consent" when the scopes hold offline_access (see ssoPrompt).
   */
  prompt?: string;
  /** `dpop = true`: the session's tokens are DPoP-bound (RFC 9449); absent when off. */
  dpop?: boolean;
}

export const DEFAULT_SSO_SCOPES = ["openid", "profile", "email", "offline_access"];

/**
 * The `prompt` of the SSO authorization request: the configured one as is ("" sends none), else
 * "consent" when the scopes hold `offline_access`. OpenID Connect Core 1.0 §11: a request for
 * offline access must say `prompt=consent`; OpenID Certified IdPs (oidc-provider among them)
 * ignore `offline_access` without it, and then issue no refresh token or one that ends with the
 * IdP's browser session.
 */
export function ssoPrompt(
  configured: string | undefined,
  scopes: readonly string[],
): string | undefined {
  if (configured !== undefined) return configured === "" ? undefined : configured;
  return scopes.includes("offline_access") ? "consent" : undefined;
}

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
    issuerSetting: { file: config.path!, key: ["sso", "issuer"], text: config.text },
    clientId: sso.client_id,
    scopes: sso.scopes ?? DEFAULT_SSO_SCOPES,
    redirectPort: sso.redirect_port ?? 0,
    redirectHost: sso.redirect_host ?? "127.0.0.1",
  };
  const prompt = ssoPrompt(sso.prompt, out.scopes);
  if (prompt !== undefined) out.prompt = prompt;
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
    { hint: "add [sso] with issuer and client_id to lmi.toml (see docs/sso.md)" },
  );
}

/** The [sso] settings, or a ConfigError saying how to add them. */
export function requireSsoConfig(deps: Pick<Deps, "env" | "cwd">, config: LoadedConfig): SsoConfig {
  const sso = ssoConfig(deps, config);
  if (!sso) throw config.path ? ssoNotConfigured(config.path) : noConfigForSso(config.searched);
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
  if (!sso) return env;
  const promptSource: Source = config.file.sso?.prompt !== undefined
    ? { kind: "file", detail: config.path! }
    : { kind: "default" };
  return { ...env, sso, sources: { ...env.sources, "sso.prompt": promptSource } };
}
