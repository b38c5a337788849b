/**
 * The SSO providers resolved: the identity providers people sign in to with `lmi login sso
 * [NAME]`, used by envs with `requires_sso = true` and by envs with `auth.type = "sso"`. The keys
 * directly in `[sso]` are the provider "default"; each `[sso.<name>]` table is another; an env
 * picks one with `sso = "<name>"` (default "default").
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, q } from "../errors.ts";
import type { LoadedConfig } from "./load.ts";
import { noConfigForSso } from "./no_config.ts";
import type { SettingRef } from "./setting.ts";
import type { ResolvedEnv, SecretRef, Source } from "./resolve.ts";
import { varLookupFor } from "./resolve.ts";
import { DEFAULT_PROVIDER, type FileSso, nearest, providerTable } from "./schema.ts";
import { sameIssuer } from "../util/issuer.ts";
import { shellWord } from "../ui/text.ts";
import { durationText } from "./duration.ts";

export { DEFAULT_PROVIDER, providerTable as ssoTable };

export interface SsoConfig {
  /** The provider's name: "default" for the keys directly in `[sso]`, else `[sso.<name>]`'s. */
  name: string;
  /**
   * Another provider of the config has the same issuer: then one of them keeps the session
   * under the plain account (src/sso/session.ts → sessionAccount).
   */
  sharesIssuer?: boolean;
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

/** The config's SSO providers by name, the default one first. */
export function ssoProviderNames(config: Pick<LoadedConfig, "file">): string[] {
  return Object.keys(config.file.sso ?? {});
}

/** The command that signs in to a provider: `lmi login sso`, or `lmi login sso lab`. */
export function ssoLoginCommand(sso: Pick<SsoConfig, "name">): string {
  return sso.name === DEFAULT_PROVIDER ? "lmi login sso" : `lmi login sso ${sso.name}`;
}

/**
 * The command that signs in again as this sign-in was asked for: the provider's name, and the
 * step-up it asked for (`--acr-values`, `--max-age`), then `extra` (`--no-browser`): so that a
 * hint never drops what the person (or an API's challenge) asked for.
 */
export function signInCommand(
  sso: Pick<SsoConfig, "name"> & { acrValues?: string; maxAge?: number },
  ...extra: string[]
): string {
  const words = [ssoLoginCommand(sso)];
  if (sso.acrValues) words.push("--acr-values", shellWord(sso.acrValues));
  if (sso.maxAge !== undefined) words.push("--max-age", durationText(sso.maxAge));
  return [...words, ...extra].join(" ");
}

/** A provider for a sentence: its issuer, after its name unless it is the default one. */
export function ssoLabel(sso: Pick<SsoConfig, "name" | "issuer">): string {
  return sso.name === DEFAULT_PROVIDER ? sso.issuer : `${sso.name} (${sso.issuer})`;
}

/** The settings of the provider `name` (default: "default"), or undefined when there is none. */
export function ssoConfig(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  name: string = DEFAULT_PROVIDER,
): SsoConfig | undefined {
  const providers = config.file.sso ?? {};
  const sso: FileSso | undefined = Object.hasOwn(providers, name) ? providers[name] : undefined;
  if (!sso) return undefined;
  const table = providerTable(name);
  if (!sso.issuer || !sso.client_id) {
    throw new ConfigError(
      "CONFIG_INCOMPLETE",
      `${config.path}: ${table} needs issuer and client_id`,
      {
        hint: `add issuer = "https://idp.example.com/…" and client_id = "lmi" to ${table}`,
      },
    );
  }
  const issuer = sso.issuer;
  const keyPath = name === DEFAULT_PROVIDER ? ["sso"] : ["sso", name];
  const out: SsoConfig = {
    name,
    issuer,
    issuerSetting: { file: config.path!, key: [...keyPath, "issuer"], text: config.text },
    clientId: sso.client_id,
    scopes: sso.scopes ?? DEFAULT_SSO_SCOPES,
    redirectPort: sso.redirect_port ?? 0,
    redirectHost: sso.redirect_host ?? "127.0.0.1",
  };
  const shared = Object.entries(providers).some(([other, p]) =>
    other !== name && p.issuer !== undefined && sameIssuer(p.issuer, issuer)
  );
  if (shared) out.sharesIssuer = true;
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

/** Every provider's settings, the default one first. */
export function ssoConfigs(deps: Pick<Deps, "env" | "cwd">, config: LoadedConfig): SsoConfig[] {
  return ssoProviderNames(config).map((name) => ssoConfig(deps, config, name)!);
}

/** The one error for SSO needed without a provider to use (by a command, or by an env). */
export function ssoNotConfigured(
  configPath: string | undefined,
  envName?: string,
  provider: string = DEFAULT_PROVIDER,
): ConfigError {
  const where = configPath ?? "the config (no config file found)";
  if (provider !== DEFAULT_PROVIDER) {
    // An env's explicit `sso = "<name>"` is checked with the file; this is what is left.
    return new ConfigError("SSO_NOT_CONFIGURED", `no SSO provider ${q(provider)} in ${where}`, {
      hint: `add ${
        providerTable(provider)
      } with issuer and client_id to lmi.toml (see docs/sso.md)`,
    });
  }
  return new ConfigError(
    "SSO_NOT_CONFIGURED",
    envName === undefined
      ? `no [sso] table in ${where}`
      : `env "${envName}" needs SSO, but there is no [sso] table in ${where}`,
    {
      hint: envName === undefined
        ? "add [sso] with issuer and client_id to lmi.toml (see docs/sso.md)"
        : `add [sso] with issuer and client_id to lmi.toml, or name another provider with ` +
          `sso = "NAME" in [envs.${envName}] (see docs/sso.md)`,
    },
  );
}

/**
 * The settings of the provider a command names (`lmi login sso lab`; none: "default"), or a
 * ConfigError saying which providers there are, or how to add one. `command` is the command
 * without the name (`lmi login sso`), for the hint.
 */
export function requireSsoConfig(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  name?: string,
  command = "lmi login sso",
): SsoConfig {
  const sso = ssoConfig(deps, config, name ?? DEFAULT_PROVIDER);
  if (sso) return sso;
  if (!config.path) throw noConfigForSso(config.searched);
  const names = ssoProviderNames(config);
  if (names.length === 0) {
    throw ssoNotConfigured(config.path, undefined, name ?? DEFAULT_PROVIDER);
  }
  if (name === undefined) {
    throw new ConfigError(
      "SSO_NO_DEFAULT",
      `${config.path} has no default SSO provider ([sso] itself has no keys)`,
      { hint: `name one: ${command} ${names[0]} (providers: ${names.join(", ")})` },
    );
  }
  const near = nearest(name, names);
  throw new ConfigError("SSO_PROVIDER_UNKNOWN", `no SSO provider ${q(name)} in ${config.path}`, {
    hint: `${near ? `did you mean ${q(near)}? ` : ""}providers: ${names.join(", ")}`,
  });
}

/** Attach the settings of the env's SSO provider to an env that needs them. */
export function withSso(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  env: ResolvedEnv,
): ResolvedEnv {
  if (!env.requiresSso && env.auth.type !== "sso") return env;
  const sso = ssoConfig(deps, config, env.ssoProvider);
  if (!sso) return env;
  const promptSource: Source = config.file.sso?.[env.ssoProvider]?.prompt !== undefined
    ? { kind: "file", detail: config.path! }
    : { kind: "default" };
  return { ...env, sso, sources: { ...env.sources, "sso.prompt": promptSource } };
}
