/**
 * Resolving one environment: which env is meant, its settings with the provenance of each value
 * (flag, env var, .env file, config file, default), and its secret references.
 *
 * @module
 */
import { dirname, resolve } from "../util/path.ts";
import type { Deps } from "../context.ts";
import { ConfigError, q, UsageError } from "../errors.ts";
import type { LoadedConfig } from "./load.ts";
import type { SsoConfig } from "./sso.ts";
import { loadVarLookup, type Source, type VarLookup } from "./dotenv.ts";
import {
  AUTH_TYPES,
  type AuthType,
  type ClientAuth,
  ENV_NAME,
  ENV_NAME_HINT,
  type FileAuth,
  type FileEnv,
  nearest,
  type VerifyMode,
} from "./schema.ts";

export type { Source };

/** A `*_env` reference to a secret: the variable's name and, when it is set, its value. */
export interface SecretRef {
  variable: string;
  value?: string;
  source?: Source;
}

export interface ResolvedAuth {
  type: AuthType;
  issuer?: string;
  tokenUrl?: string;
  clientId?: string;
  /** "auto" (not configured): chosen from discovery, Basic falls back to post once. */
  clientAuth: ClientAuth | "auto";
  scopes: string[];
  /** The `audience` request parameter; never a verification rule (see expectedAudience). */
  audience?: string;
  /** The `aud` a verified JWT access token must carry (`expected_audience`). */
  expectedAudience?: string[];
  verifyAccessToken: VerifyMode;
  resource?: string;
  extraParams: Record<string, string>;
  refreshMarginMs: number;
  clientSecret?: SecretRef;
  username?: SecretRef;
  password?: SecretRef;
  privateKey?: SecretRef;
  command?: string[];
}

export interface ResolvedEnv {
  name: string;
  configPath?: string;
  /** Where the env's definition came from. */
  definedBy: "file" | "environment";
  baseUrl?: string;
  requiresSso: boolean;
  timeoutMs: number;
  retries: number;
  headers: Record<string, string>;
  caFile?: string;
  auth: ResolvedAuth;
  /** Where each value came from, by key (`name`, `base_url`, `auth.client_id`, …). */
  sources: Record<string, Source>;
  /** The config's [sso] settings, for `requires_sso` and `auth.type = "sso"` envs. */
  sso?: SsoConfig;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  retries: 2,
  refreshMarginMs: 60_000,
  clientAuth: "auto" as ClientAuth | "auto",
  verifyAccessToken: "auto" as VerifyMode,
};

/** Variables that define an env when the file does not (DESIGN.md → Config from environment variables). */
export const ENV_CONFIG_VARS = [
  "LMI_BASE_URL",
  "LMI_ISSUER",
  "LMI_TOKEN_URL",
  "LMI_CLIENT_ID",
  "LMI_CLIENT_SECRET",
  "LMI_SCOPES",
  "LMI_AUDIENCE",
  "LMI_AUTH_TYPE",
] as const;

/** Which env is meant: `--env`, else `LMI_ENV`, else `default_env`, else "default". */
export function selectEnvName(
  deps: Pick<Deps, "env">,
  config: LoadedConfig,
  flagEnv: string | undefined,
  /** A name given as a command's argument (`lmi env show NAME`): it wins over --env. */
  argument?: string,
): { name: string; source: Source } {
  let picked: { name: string; source: Source };
  if (argument !== undefined) picked = { name: argument, source: { kind: "argument" } };
  else if (flagEnv !== undefined) {
    picked = { name: flagEnv, source: { kind: "flag", detail: "--env" } };
  } else if (deps.env("LMI_ENV")) {
    picked = { name: deps.env("LMI_ENV")!, source: { kind: "env", detail: "LMI_ENV" } };
  } else if (config.file.default_env) {
    picked = {
      name: config.file.default_env,
      source: { kind: "file", detail: `${config.path} (default_env)` },
    };
  } else picked = { name: "default", source: { kind: "default" } };
  if (!ENV_NAME.test(picked.name)) {
    const byUser = picked.source.kind === "flag" || picked.source.kind === "argument";
    const how = picked.source.kind === "flag"
      ? "--env"
      : picked.source.kind === "argument"
      ? "the argument"
      : "LMI_ENV";
    const Err = byUser ? UsageError : ConfigError;
    throw new Err("ENV_NAME_INVALID", `invalid env name ${q(picked.name)} (from ${how})`, {
      hint: ENV_NAME_HINT,
    });
  }
  return picked;
}

/** Whether the process environment defines an env through `LMI_*` variables. */
export function envConfigPresent(lookup: VarLookup): boolean {
  return ["LMI_ISSUER", "LMI_TOKEN_URL", "LMI_CLIENT_ID", "LMI_BASE_URL", "LMI_AUTH_TYPE"].some((
    v,
  ) => lookup.get(v) !== undefined);
}

/** The .env lookup for an env: beside the config file, then the current directory. */
export function varLookupFor(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  envName: string,
): VarLookup {
  const dirs = config.path ? [dirname(config.path), deps.cwd] : [deps.cwd];
  return loadVarLookup(deps, dirs, envName);
}

/** Resolve the env selected by flag/env var/default. */
export function resolveEnv(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  flagEnv: string | undefined,
  argument?: string,
): ResolvedEnv {
  const selected = selectEnvName(deps, config, flagEnv, argument);
  return resolveNamedEnv(deps, config, selected.name, selected.source);
}

/** Resolve a named env. Throws ConfigError for an unknown env. */
export function resolveNamedEnv(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  name: string,
  nameSource: Source = { kind: "flag", detail: "--env" },
): ResolvedEnv {
  const lookup = varLookupFor(deps, config, name);
  // Own keys only: "constructor" or "toString" is no env unless the file defines it.
  const fileEnv = Object.hasOwn(config.file.envs, name) ? config.file.envs[name] : undefined;
  if (fileEnv) return fromFile(name, nameSource, fileEnv, config, lookup);
  if (envConfigPresent(lookup)) return fromVariables(name, nameSource, lookup);
  throw unknownEnv(name, nameSource, config);
}

function unknownEnv(name: string, nameSource: Source, config: LoadedConfig): ConfigError {
  const names = Object.keys(config.file.envs);
  if (nameSource.kind === "default" && names.length > 0) {
    return new ConfigError("ENV_NOT_SELECTED", "no env selected", {
      hint: `pass --env NAME, set LMI_ENV, or set default_env in ${config.path}; envs: ${
        names.join(", ")
      }`,
    });
  }
  const near = nearest(name, names);
  const where = config.path
    ? `envs in ${config.path}: ${names.join(", ") || "(none)"}`
    : "no config file found";
  return new ConfigError("ENV_UNKNOWN", `unknown env ${q(name)}`, {
    hint: `${near ? `did you mean ${q(near)}? ` : ""}${where}; or define it with LMI_ISSUER (or ` +
      "LMI_TOKEN_URL) and LMI_CLIENT_ID",
  });
}

function defaultVar(env: string, what: string): string {
  return `LMI_${env.toUpperCase().replace(/-/g, "_")}_${what}`;
}

function secretRef(lookup: VarLookup, variable: string): SecretRef {
  const found = lookup.get(variable);
  return found ? { variable, value: found.value, source: found.source } : { variable };
}

function fromFile(
  name: string,
  nameSource: Source,
  env: FileEnv,
  config: LoadedConfig,
  lookup: VarLookup,
): ResolvedEnv {
  const file: Source = { kind: "file", detail: config.path! };
  const dflt: Source = { kind: "default" };
  const sources: Record<string, Source> = { name: nameSource };
  const pick = <T>(key: string, value: T | undefined, fallback: T): T => {
    sources[key] = value === undefined ? dflt : file;
    return value ?? fallback;
  };
  const a: FileAuth = env.auth ?? {};
  const type = pick("auth.type", a.type, "none" as AuthType);
  const auth: ResolvedAuth = {
    type,
    clientAuth: pick("auth.client_auth", a.client_auth, DEFAULTS.clientAuth),
    scopes: pick("auth.scopes", a.scopes, [] as string[]),
    extraParams: pick("auth.extra_params", a.extra_params, {}),
    refreshMarginMs: pick("auth.refresh_margin", a.refresh_margin, DEFAULTS.refreshMarginMs),
    verifyAccessToken: pick(
      "auth.verify_access_token",
      a.verify_access_token,
      DEFAULTS.verifyAccessToken,
    ),
  };
  if (a.expected_audience) {
    auth.expectedAudience = a.expected_audience;
    sources["auth.expected_audience"] = file;
  }
  for (
    const [key, prop] of [
      ["issuer", "issuer"],
      ["token_url", "tokenUrl"],
      ["client_id", "clientId"],
      ["audience", "audience"],
      ["resource", "resource"],
    ] as const
  ) {
    const value = a[key];
    if (value !== undefined) {
      auth[prop] = value;
      sources[`auth.${key}`] = file;
    }
  }
  if (a.command) {
    auth.command = a.command;
    sources["auth.command"] = file;
  }
  const secretVar = (
    key: "client_secret_env" | "username_env" | "password_env" | "private_key_env",
    what: string,
  ) => {
    sources[`auth.${key}`] = a[key] ? file : dflt;
    return secretRef(lookup, a[key] ?? defaultVar(name, what));
  };
  if (type === "client_credentials" || type === "password" || a.client_secret_env) {
    if (auth.clientAuth !== "none" && auth.clientAuth !== "private_key_jwt") {
      auth.clientSecret = secretVar("client_secret_env", "CLIENT_SECRET");
    }
  }
  if (auth.clientAuth === "private_key_jwt") {
    auth.privateKey = secretVar("private_key_env", "PRIVATE_KEY");
  }
  if (type === "password") {
    auth.username = secretVar("username_env", "USERNAME");
    auth.password = secretVar("password_env", "PASSWORD");
  }
  const out: ResolvedEnv = {
    name,
    configPath: config.path!,
    definedBy: "file",
    requiresSso: pick("requires_sso", env.requires_sso, false),
    timeoutMs: pick("timeout", env.timeout, DEFAULTS.timeoutMs),
    retries: pick("retries", env.retries, DEFAULTS.retries),
    headers: pick("headers", env.headers, {}),
    auth,
    sources,
  };
  if (env.base_url !== undefined) {
    out.baseUrl = env.base_url;
    sources.base_url = file;
  }
  if (env.ca_file !== undefined) {
    out.caFile = resolve(dirname(config.path!), env.ca_file);
    sources.ca_file = file;
  }
  return out;
}

function fromVariables(name: string, nameSource: Source, lookup: VarLookup): ResolvedEnv {
  const sources: Record<string, Source> = { name: nameSource };
  const dflt: Source = { kind: "default" };
  const read = (variable: string, key: string): string | undefined => {
    const found = lookup.get(variable);
    if (found === undefined || found.value === "") return undefined;
    sources[key] = found.source;
    return found.value;
  };
  const url = (variable: string, key: string): string | undefined => {
    const value = read(variable, key);
    if (value === undefined) return undefined;
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw new ConfigError("CONFIG_INVALID", `${variable}: not an http(s) URL: ${q(value)}`, {
        hint: `set ${variable} to an absolute URL like "https://host/path"`,
      });
    }
    return value;
  };
  const clientId = read("LMI_CLIENT_ID", "auth.client_id");
  const typeText = read("LMI_AUTH_TYPE", "auth.type");
  if (typeText !== undefined && !(AUTH_TYPES as readonly string[]).includes(typeText)) {
    throw new ConfigError("CONFIG_INVALID", `LMI_AUTH_TYPE: invalid value ${q(typeText)}`, {
      hint: `valid values: ${AUTH_TYPES.map((t) => q(t)).join(", ")}`,
    });
  }
  const type = (typeText ?? (clientId ? "client_credentials" : "none")) as AuthType;
  if (typeText === undefined) sources["auth.type"] = dflt;
  const auth: ResolvedAuth = {
    type,
    clientAuth: DEFAULTS.clientAuth,
    scopes: read("LMI_SCOPES", "auth.scopes")?.split(/\s+/).filter(Boolean) ?? [],
    extraParams: {},
    refreshMarginMs: DEFAULTS.refreshMarginMs,
    verifyAccessToken: DEFAULTS.verifyAccessToken,
  };
  sources["auth.client_auth"] = dflt;
  sources["auth.refresh_margin"] = dflt;
  sources["auth.verify_access_token"] = dflt;
  if (!sources["auth.scopes"]) sources["auth.scopes"] = dflt;
  const issuer = url("LMI_ISSUER", "auth.issuer");
  const tokenUrl = url("LMI_TOKEN_URL", "auth.token_url");
  const audience = read("LMI_AUDIENCE", "auth.audience");
  if (issuer) auth.issuer = issuer;
  if (tokenUrl) auth.tokenUrl = tokenUrl;
  if (clientId) auth.clientId = clientId;
  if (audience) auth.audience = audience;
  if (type === "client_credentials" || type === "password") {
    auth.clientSecret = secretRef(lookup, "LMI_CLIENT_SECRET");
    sources["auth.client_secret_env"] = dflt;
  }
  if (type === "password") {
    auth.username = secretRef(lookup, "LMI_USERNAME");
    auth.password = secretRef(lookup, "LMI_PASSWORD");
    sources["auth.username_env"] = dflt;
    sources["auth.password_env"] = dflt;
  }
  const out: ResolvedEnv = {
    name,
    definedBy: "environment",
    requiresSso: false,
    timeoutMs: DEFAULTS.timeoutMs,
    retries: DEFAULTS.retries,
    headers: {},
    auth,
    sources: { ...sources, requires_sso: dflt, timeout: dflt, retries: dflt, headers: dflt },
  };
  const baseUrl = url("LMI_BASE_URL", "base_url");
  if (baseUrl) out.baseUrl = baseUrl;
  return out;
}

/** All env names known: the file's, plus the one defined by variables if any. */
export function listEnvNames(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
): string[] {
  const names = Object.keys(config.file.envs);
  const selected = selectEnvName(deps, config, undefined);
  if (!names.includes(selected.name)) {
    const lookup = varLookupFor(deps, config, selected.name);
    if (envConfigPresent(lookup)) names.push(selected.name);
  }
  return names;
}
