/**
 * Resolving one environment: which env is meant, its settings with the provenance of each value
 * (flag, env var, .env file, config file, default), and its secret references.
 *
 * @module
 */
import { endpointUrlProblem } from "./endpoint_url.ts";
import { dirname, isAbsolute, resolve } from "../util/path.ts";
import { canonicalPath, isWithin } from "./trust.ts";
import type { Deps } from "../context.ts";
import { ConfigError, q, UsageError } from "../errors.ts";
import { DURATION_HINT, inRange, parseDuration, rangeHint, TIMEOUT_RANGE } from "./duration.ts";
import type { LoadedConfig } from "./load.ts";
import { noConfigFound } from "./no_config.ts";
import type { SettingRef } from "./setting.ts";
import type { SsoConfig } from "./sso.ts";
import { loadVarLookup, type Source, unreadDotenvNote, type VarLookup } from "./dotenv.ts";
import {
  AUTH_TYPES,
  type AuthType,
  CLIENT_AUTHS,
  type ClientAuth,
  DEFAULT_PROVIDER,
  ENV_NAME,
  ENV_NAME_HINT,
  type FileAuth,
  type FileEnv,
  nearest,
  SUBJECT_TOKEN_SOURCES,
  type SubjectTokenSourceKind,
  type VerifyMode,
} from "./schema.ts";

export type { Source };

/** A `*_env` reference to a secret: the variable's name and, when it is set, its value. */
export interface SecretRef {
  variable: string;
  value?: string;
  source?: Source;
  /** When it is not set: the current folder's .env files that were not read (not trusted). */
  unreadDotenv?: string[];
}

/**
 * Where a workload's subject token comes from (token_exchange, jwt_bearer, federated_jwt). The
 * variables it needs are read here; a file is read on every acquisition (it is rotated).
 */
export type SubjectTokenSource =
  | {
    kind: "github_actions";
    /** The `audience` asked of GitHub (`subject_token_audience`). */
    audience?: string;
    requestUrl: SecretRef;
    requestToken: SecretRef;
  }
  | { kind: "file"; path: string }
  | { kind: "env"; token: SecretRef };

/**
 * The client certificate for mTLS (RFC 8705): PEM files (absolute paths), the key possibly in a
 * variable (`client_key_env`) or in the certificate's file. Read when the env's fetch is built.
 */
export interface ClientCertRef {
  certFile: string;
  /** `client_key_file`; absent when the key is in a variable or in `certFile` itself. */
  keyFile?: string;
  /** `client_key_env`: the key (PEM) in a variable; a secret. */
  key?: SecretRef;
}

/** The auth types whose grant presents a subject token. */
export const WORKLOAD_TYPES: readonly AuthType[] = ["token_exchange", "jwt_bearer"];

export interface ResolvedAuth {
  type: AuthType;
  issuer?: string;
  /** Where `issuer` was set (a key and its file, or a variable), for messages about it. */
  issuerSetting?: SettingRef;
  tokenUrl?: string;
  /** `revocation_url`: the RFC 7009 endpoint where discovery gives none (or instead of its own). */
  revocationUrl?: string;
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
  /** The subject token's source, when `subject_token_source` (or its file / env key) is set. */
  subjectToken?: SubjectTokenSource;
  /** `subject_token_type` of a token exchange (default: the JWT token type). */
  subjectTokenType?: string;
  /** `git_username`: the username the git and docker credential helpers answer. */
  gitUsername?: string;
  /** `dpop = true`: DPoP-bound tokens (RFC 9449); absent when off. */
  dpop?: boolean;
  /** mTLS: the certificate presented to the IdP (and to the API with `mtlsApi`). */
  clientCert?: ClientCertRef;
  /** `mtls_api`: send the client certificate to the API too. */
  mtlsApi?: boolean;
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
  /** The SSO provider its sso auth and `requires_sso` use (`sso`; default "default"). */
  ssoProvider: string;
  /** That provider's settings, for `requires_sso` and `auth.type = "sso"` envs. */
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
  "LMI_REVOCATION_URL",
  "LMI_CLIENT_ID",
  "LMI_CLIENT_SECRET",
  "LMI_SCOPES",
  "LMI_AUDIENCE",
  "LMI_AUTH_TYPE",
  "LMI_CLIENT_AUTH",
  "LMI_RESOURCE",
  "LMI_CA_FILE",
  "LMI_TIMEOUT",
  "LMI_PRIVATE_KEY",
  "LMI_SUBJECT_TOKEN_SOURCE",
  "LMI_SUBJECT_TOKEN_FILE",
  "LMI_SUBJECT_TOKEN_ENV",
  "LMI_SUBJECT_TOKEN_AUDIENCE",
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

/**
 * Whether the environment defines an env through `LMI_*` variables (the process's, or a .env in
 * a folder the user trusts as a whole: {@link VarLookup.setting}).
 */
export function envConfigPresent(lookup: VarLookup): boolean {
  return ["LMI_ISSUER", "LMI_TOKEN_URL", "LMI_CLIENT_ID", "LMI_BASE_URL", "LMI_AUTH_TYPE"].some((
    v,
  ) => lookup.setting(v) !== undefined);
}

/**
 * The .env lookup for an env: beside the config file, then the current directory when it is
 * trusted ground (src/config/trust.ts → dotenvFolders).
 */
export function varLookupFor(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  envName: string,
): VarLookup {
  return loadVarLookup(
    deps,
    config.dotenvDirs,
    envName,
    config.unreadDotenvDir,
    config.settingDotenvDirs,
  );
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
  if (envConfigPresent(lookup)) return fromVariables(name, nameSource, lookup, deps.cwd);
  throw unknownEnv(name, nameSource, config, lookup);
}

const DEFINING_VARS = ["LMI_ISSUER", "LMI_TOKEN_URL", "LMI_CLIENT_ID", "LMI_BASE_URL"];

/** Why `.env` files that would define the env did not: not read, or not trusted for settings. */
function dotenvNote(lookup: VarLookup): string {
  const unread = unreadDotenvNote(lookup.unread());
  if (unread) return unread;
  const ignored = DEFINING_VARS.map((v) => lookup.get(v)).find((f) => f?.source.kind === "dotenv");
  return ignored
    ? `; ${ignored.source.detail} does not define an env: only a .env in a folder listed in ` +
      "LMI_TRUSTED_PATHS (or beside the user config) may say where lmi sends secrets"
    : "";
}

function unknownEnv(
  name: string,
  nameSource: Source,
  config: LoadedConfig,
  lookup: VarLookup,
): ConfigError {
  const names = Object.keys(config.file.envs);
  // "default" is lmi's name for the env nobody selected: never named to a user who did not.
  const selected = nameSource.kind === "default" ? undefined : name;
  if (selected === undefined && names.length > 0) {
    return new ConfigError("ENV_NOT_SELECTED", "no env selected", {
      hint: `pass --env NAME, set LMI_ENV, or set default_env in ${config.path}; envs: ${
        names.join(", ")
      }`,
    });
  }
  if (!config.path) return noConfigFound(config.searched, selected, dotenvNote(lookup));
  const orVariables = `define an env with LMI_ISSUER (or LMI_TOKEN_URL) and LMI_CLIENT_ID${
    dotenvNote(lookup)
  }`;
  if (selected === undefined) {
    return new ConfigError("NO_ENVS", `${config.path} defines no envs`, {
      hint: `add an [envs.NAME] table to it, or ${orVariables}`,
    });
  }
  const near = nearest(name, names);
  return new ConfigError("ENV_UNKNOWN", `unknown env ${q(name)}`, {
    hint: `${near ? `did you mean ${q(near)}? ` : ""}envs in ${config.path}: ${
      names.join(", ") || "(none)"
    }; or ${orVariables}`,
  });
}

/**
 * A file a config names, relative to the config's folder. For a discovered config (one trusted
 * by content) a relative path must stay inside that folder, links resolved: the files beside it
 * are not part of what was trusted, and a `git pull` must not turn `token.jwt` into a link to
 * `~/.ssh/id_ed25519` that lmi then reads and sends. An absolute path is the config's own word.
 */
function configFile(config: LoadedConfig, value: string, key: string): string {
  const dir = dirname(config.path!);
  const path = resolve(dir, value);
  if (isAbsolute(value) || config.trust === undefined || config.trust.kind === "named") return path;
  const real = canonicalPath(path);
  // Both canonical (links resolved by the OS): compared as they are.
  if (isWithin(real, dir, "exact")) return real;
  throw new ConfigError(
    "CONFIG_INVALID",
    `${key} ${q(value)} leads outside ${dir} (to ${real}); a discovered config's relative paths ` +
      "must stay in its folder",
    { hint: `write the absolute path in ${config.path} if that file is meant, then lmi trust` },
  );
}

/**
 * The variable an env's secret is read from when its `*_env` key is not set
 * (`LMI_DEV_CLIENT_SECRET` for env "dev" and "CLIENT_SECRET").
 */
export function defaultVar(env: string, what: string): string {
  return `LMI_${env.toUpperCase().replace(/-/g, "_")}_${what}`;
}

function secretRef(lookup: VarLookup, variable: string): SecretRef {
  const found = lookup.get(variable);
  if (found) return { variable, value: found.value, source: found.source };
  const unread = lookup.unread();
  return unread.length ? { variable, unreadDotenv: unread } : { variable };
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
      ["revocation_url", "revocationUrl"],
      ["client_id", "clientId"],
      ["audience", "audience"],
      ["resource", "resource"],
      ["git_username", "gitUsername"],
    ] as const
  ) {
    const value = a[key];
    if (value !== undefined) {
      auth[prop] = value;
      sources[`auth.${key}`] = file;
    }
  }
  if (auth.issuer !== undefined) {
    auth.issuerSetting = {
      file: config.path!,
      key: ["envs", name, "auth", "issuer"],
      text: config.text,
    };
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
  if (WORKLOAD_TYPES.includes(type) && auth.clientAuth === "auto" && !a.client_secret_env) {
    auth.clientAuth = "none"; // client authentication is optional for these grants
  }
  if (type === "client_credentials" || type === "password" || a.client_secret_env) {
    if (!NO_SECRET_AUTHS.includes(auth.clientAuth)) {
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
  const subjectKind = a.subject_token_source ??
    (a.subject_token_file ? "file" : a.subject_token_env ? "env" : undefined);
  if (subjectKind) {
    for (const key of SUBJECT_TOKEN_KEYS) if (a[key] !== undefined) sources[`auth.${key}`] = file;
    if (!a.subject_token_source) sources["auth.subject_token_source"] = dflt;
    const path = a.subject_token_file;
    auth.subjectToken = subjectTokenSource(subjectKind, lookup, {
      ...(path ? { file: configFile(config, path, "subject_token_file") } : {}),
      ...(a.subject_token_env ? { variable: a.subject_token_env } : {}),
      ...(a.subject_token_audience ? { audience: a.subject_token_audience } : {}),
    }, `the env's [auth] table in ${config.path}`);
  }
  if (a.subject_token_type) {
    auth.subjectTokenType = a.subject_token_type;
    sources["auth.subject_token_type"] = file;
  }
  if (a.dpop) {
    auth.dpop = true;
    sources["auth.dpop"] = file;
  }
  const clientCert = clientCertRef(a, config, lookup);
  if (clientCert) {
    auth.clientCert = clientCert;
    for (const key of CLIENT_CERT_KEYS) if (a[key] !== undefined) sources[`auth.${key}`] = file;
  }
  if (a.mtls_api !== undefined) {
    auth.mtlsApi = a.mtls_api;
    sources["auth.mtls_api"] = file;
  }
  const out: ResolvedEnv = {
    name,
    configPath: config.path!,
    definedBy: "file",
    ssoProvider: pick("sso", env.sso, DEFAULT_PROVIDER),
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
    out.caFile = configFile(config, env.ca_file, "ca_file");
    sources.ca_file = file;
  }
  return out;
}

/** Client authentication methods that use no client secret. */
const NO_SECRET_AUTHS: readonly (ClientAuth | "auto")[] = [
  "none",
  "private_key_jwt",
  "federated_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
];

const CLIENT_CERT_KEYS = ["client_cert_file", "client_key_file", "client_key_env"] as const;

/** The env's client certificate settings, checked for consistency (the files are read later). */
function clientCertRef(
  a: FileAuth,
  config: LoadedConfig,
  lookup: VarLookup,
): ClientCertRef | undefined {
  const configPath = config.path!;
  const where = `the env's [auth] table in ${configPath}`;
  if (a.client_key_file !== undefined && a.client_key_env !== undefined) {
    throw new ConfigError("CONFIG_INVALID", "both client_key_file and client_key_env are set", {
      hint: `keep one of them in ${where}`,
    });
  }
  if (a.client_cert_file === undefined) {
    const needs = a.client_key_file !== undefined
      ? "client_key_file"
      : a.client_key_env !== undefined
      ? "client_key_env"
      : a.mtls_api
      ? "mtls_api"
      : undefined;
    if (needs) {
      throw new ConfigError("CONFIG_INCOMPLETE", `${needs} is set but client_cert_file is not`, {
        hint: `set client_cert_file (the client certificate, PEM) in ${where}`,
      });
    }
    return undefined;
  }
  return {
    certFile: configFile(config, a.client_cert_file, "client_cert_file"),
    ...(a.client_key_file !== undefined
      ? { keyFile: configFile(config, a.client_key_file, "client_key_file") }
      : {}),
    ...(a.client_key_env !== undefined ? { key: secretRef(lookup, a.client_key_env) } : {}),
  };
}

const SUBJECT_TOKEN_KEYS = [
  "subject_token_source",
  "subject_token_file",
  "subject_token_env",
  "subject_token_audience",
] as const;

/** The variables GitHub Actions sets for a job with `permissions: id-token: write`. */
export const GITHUB_OIDC_VARS = ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"];

function subjectTokenSource(
  kind: SubjectTokenSourceKind,
  lookup: VarLookup,
  given: { file?: string; variable?: string; audience?: string },
  where: string,
): SubjectTokenSource {
  const missing = (key: string, variable: string) =>
    new ConfigError(
      "CONFIG_INCOMPLETE",
      `subject_token_source = ${q(kind)} needs ${key}`,
      { hint: `set ${key} in ${where} (or ${variable})` },
    );
  switch (kind) {
    case "file":
      if (!given.file) throw missing("subject_token_file", "LMI_SUBJECT_TOKEN_FILE");
      return { kind, path: given.file };
    case "env":
      if (!given.variable) throw missing("subject_token_env", "LMI_SUBJECT_TOKEN_ENV");
      return { kind, token: secretRef(lookup, given.variable) };
    case "github_actions": {
      const requestToken = secretRef(lookup, GITHUB_OIDC_VARS[1]!);
      return {
        kind,
        ...(given.audience ? { audience: given.audience } : {}),
        requestUrl: githubRequestUrl(lookup, requestToken),
        requestToken,
      };
    }
  }
}

/**
 * `ACTIONS_ID_TOKEN_REQUEST_URL`: where lmi sends the request token, so a setting
 * ({@link VarLookup.setting}). A `.env` that may only give values can still name it, but only
 * for a request token it holds itself (the development IdP's stand-in for GitHub): never for the
 * job's own token from the environment, which would then go to the `.env`'s host.
 */
function githubRequestUrl(lookup: VarLookup, requestToken: SecretRef): SecretRef {
  const variable = GITHUB_OIDC_VARS[0]!;
  const setting = lookup.setting(variable);
  if (setting) return { variable, value: setting.value, source: setting.source };
  const value = lookup.get(variable);
  return value && requestToken.source?.kind === "dotenv"
    ? { variable, value: value.value, source: value.source }
    : { variable };
}

function fromVariables(
  name: string,
  nameSource: Source,
  lookup: VarLookup,
  cwd: string,
): ResolvedEnv {
  const sources: Record<string, Source> = { name: nameSource };
  const dflt: Source = { kind: "default" };
  const read = (variable: string, key: string): string | undefined => {
    const found = lookup.setting(variable);
    if (found === undefined || found.value === "") return undefined;
    sources[key] = found.source;
    return found.value;
  };
  const url = (variable: string, key: string): string | undefined => {
    const value = read(variable, key);
    if (value === undefined) return undefined;
    const problem = endpointUrlProblem(value);
    if (problem) {
      throw new ConfigError("CONFIG_INVALID", `${variable}: ${problem}`, {
        hint: `set ${variable} to an absolute URL like "https://host/path", without user@`,
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
  const oneOf = <T extends string>(variable: string, key: string, valid: readonly T[]) => {
    const value = read(variable, key);
    if (value !== undefined && !(valid as readonly string[]).includes(value)) {
      throw new ConfigError("CONFIG_INVALID", `${variable}: invalid value ${q(value)}`, {
        hint: `valid values: ${valid.map((t) => q(t)).join(", ")}`,
      });
    }
    return value as T | undefined;
  };
  const clientAuthText = oneOf("LMI_CLIENT_AUTH", "auth.client_auth", CLIENT_AUTHS);
  const hasSecret = !!lookup.get("LMI_CLIENT_SECRET")?.value;
  const clientAuth: ClientAuth | "auto" = clientAuthText ??
    (WORKLOAD_TYPES.includes(type) && !hasSecret ? "none" : DEFAULTS.clientAuth);
  const auth: ResolvedAuth = {
    type,
    clientAuth,
    scopes: read("LMI_SCOPES", "auth.scopes")?.split(/\s+/).filter(Boolean) ?? [],
    extraParams: {},
    refreshMarginMs: DEFAULTS.refreshMarginMs,
    verifyAccessToken: DEFAULTS.verifyAccessToken,
  };
  if (!clientAuthText) sources["auth.client_auth"] = dflt;
  sources["auth.refresh_margin"] = dflt;
  sources["auth.verify_access_token"] = dflt;
  if (!sources["auth.scopes"]) sources["auth.scopes"] = dflt;
  const issuer = url("LMI_ISSUER", "auth.issuer");
  const tokenUrl = url("LMI_TOKEN_URL", "auth.token_url");
  const audience = read("LMI_AUDIENCE", "auth.audience");
  const revocationUrl = url("LMI_REVOCATION_URL", "auth.revocation_url");
  if (issuer) {
    auth.issuer = issuer;
    const from = sources["auth.issuer"];
    auth.issuerSetting = from?.kind === "dotenv" && from.detail
      ? { variable: "LMI_ISSUER", dotenv: from.detail.replace(/^LMI_ISSUER in /, "") }
      : { variable: "LMI_ISSUER" };
  }
  if (tokenUrl) auth.tokenUrl = tokenUrl;
  if (revocationUrl) auth.revocationUrl = revocationUrl;
  if (clientId) auth.clientId = clientId;
  if (audience) auth.audience = audience;
  const resource = read("LMI_RESOURCE", "auth.resource");
  if (resource) auth.resource = resource;
  const secretAuth = !NO_SECRET_AUTHS.includes(clientAuth);
  if ((type === "client_credentials" || type === "password" || hasSecret) && secretAuth) {
    auth.clientSecret = secretRef(lookup, "LMI_CLIENT_SECRET");
    sources["auth.client_secret_env"] = dflt;
  }
  if (clientAuth === "private_key_jwt") {
    auth.privateKey = secretRef(lookup, "LMI_PRIVATE_KEY");
    sources["auth.private_key_env"] = dflt;
  }
  const subjectKind = oneOf(
    "LMI_SUBJECT_TOKEN_SOURCE",
    "auth.subject_token_source",
    SUBJECT_TOKEN_SOURCES,
  );
  const subjectFile = read("LMI_SUBJECT_TOKEN_FILE", "auth.subject_token_file");
  const subjectEnv = read("LMI_SUBJECT_TOKEN_ENV", "auth.subject_token_env");
  const subjectAudience = read("LMI_SUBJECT_TOKEN_AUDIENCE", "auth.subject_token_audience");
  const kind = subjectKind ?? (subjectFile ? "file" : subjectEnv ? "env" : undefined);
  if (kind) {
    if (!subjectKind) sources["auth.subject_token_source"] = dflt;
    auth.subjectToken = subjectTokenSource(kind, lookup, {
      ...(subjectFile ? { file: resolve(cwd, subjectFile) } : {}),
      ...(subjectEnv ? { variable: subjectEnv } : {}),
      ...(subjectAudience ? { audience: subjectAudience } : {}),
    }, "the environment");
  }
  if (type === "password") {
    auth.username = secretRef(lookup, "LMI_USERNAME");
    auth.password = secretRef(lookup, "LMI_PASSWORD");
    sources["auth.username_env"] = dflt;
    sources["auth.password_env"] = dflt;
  }
  const timeoutText = read("LMI_TIMEOUT", "timeout");
  const timeoutMs = timeoutText === undefined ? DEFAULTS.timeoutMs : parseDuration(timeoutText);
  if (timeoutMs === undefined || !inRange(timeoutMs, TIMEOUT_RANGE)) {
    throw new ConfigError("CONFIG_INVALID", `LMI_TIMEOUT: invalid duration ${q(timeoutText)}`, {
      hint: timeoutMs === undefined ? `write ${DURATION_HINT}` : rangeHint(TIMEOUT_RANGE),
    });
  }
  const out: ResolvedEnv = {
    name,
    definedBy: "environment",
    ssoProvider: DEFAULT_PROVIDER,
    requiresSso: false,
    timeoutMs,
    retries: DEFAULTS.retries,
    headers: {},
    auth,
    sources: {
      sso: dflt,
      requires_sso: dflt,
      timeout: dflt,
      retries: dflt,
      headers: dflt,
      ...sources,
    },
  };
  const baseUrl = url("LMI_BASE_URL", "base_url");
  if (baseUrl) out.baseUrl = baseUrl;
  const caFile = read("LMI_CA_FILE", "ca_file");
  if (caFile) out.caFile = resolve(cwd, caFile);
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
