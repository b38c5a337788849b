/**
 * The config file's schema: types, defaults and validation of a parsed TOML document.
 * Pure: takes the parsed object and the source text (for line numbers), returns typed data or
 * throws a ConfigError naming the file, the key, the line and what would be valid.
 *
 * @module
 */
import { endpointUrlProblem } from "./endpoint_url.ts";
import { ConfigError, q } from "../errors.ts";
import {
  DURATION_HINT,
  type DurationRange,
  inRange,
  MARGIN_RANGE,
  parseDuration,
  rangeHint,
  TIMEOUT_RANGE,
} from "./duration.ts";
import { findKeyLine } from "./key_line.ts";
import { sameIssuer } from "../util/issuer.ts";

export const AUTH_TYPES = [
  "client_credentials",
  "password",
  "sso",
  "command",
  "none",
  "token_exchange",
  "jwt_bearer",
] as const;
export type AuthType = typeof AUTH_TYPES[number];
export const CLIENT_AUTHS = [
  "client_secret_basic",
  "client_secret_post",
  "private_key_jwt",
  "none",
  "federated_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
] as const;
export type ClientAuth = typeof CLIENT_AUTHS[number];
/** How JWT access tokens are verified (DESIGN.md → Tokens). */
export const VERIFY_MODES = ["auto", "always", "never"] as const;
export type VerifyMode = typeof VERIFY_MODES[number];
/** Where a workload's subject token comes from (token_exchange, jwt_bearer, federated_jwt). */
export const SUBJECT_TOKEN_SOURCES = ["github_actions", "file", "env"] as const;
export type SubjectTokenSourceKind = typeof SUBJECT_TOKEN_SOURCES[number];

export const ENV_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** SSO provider names (`[sso.<name>]`), as env names. */
export const PROVIDER_NAME = ENV_NAME;
/** The provider whose keys stand directly in `[sso]`. */
export const DEFAULT_PROVIDER = "default";

export interface FileAuth {
  type?: AuthType;
  issuer?: string;
  token_url?: string;
  /** RFC 7009 revocation endpoint, for envs without discovery (or to override it). */
  revocation_url?: string;
  client_id?: string;
  client_secret_env?: string;
  client_auth?: ClientAuth;
  scopes?: string[];
  audience?: string;
  resource?: string;
  extra_params?: Record<string, string>;
  refresh_margin?: number; // ms
  verify_access_token?: VerifyMode;
  expected_audience?: string[];
  username_env?: string;
  password_env?: string;
  /** The username `lmi git-credential` and `lmi docker-credential` answer (default "oauth2"). */
  git_username?: string;
  private_key_env?: string;
  command?: string[];
  subject_token_source?: SubjectTokenSourceKind;
  subject_token_file?: string;
  subject_token_env?: string;
  subject_token_audience?: string;
  subject_token_type?: string;
  /** DPoP-bound tokens (RFC 9449). */
  dpop?: boolean;
  /** mTLS (RFC 8705): the client certificate (PEM), relative to the config file. */
  client_cert_file?: string;
  client_key_file?: string;
  client_key_env?: string;
  /** Send the client certificate to the API too (certificate-bound tokens). */
  mtls_api?: boolean;
}

export interface FileEnv {
  base_url?: string;
  /** The SSO provider its sso auth and requires_sso use (default "default"). */
  sso?: string;
  requires_sso?: boolean;
  timeout?: number; // ms
  retries?: number;
  headers?: Record<string, string>;
  ca_file?: string;
  auth?: FileAuth;
}

export interface FileSso {
  issuer?: string;
  client_id?: string;
  client_secret_env?: string;
  scopes?: string[];
  redirect_port?: number;
  redirect_host?: string;
  /**
   * The authorization request's `prompt`, sent as is ("" sends none). Not set: "consent" when
   * the scopes hold offline_access (OIDC Core 1.0 §11), none otherwise.
   */
  prompt?: string;
  /** DPoP-bound SSO tokens (RFC 9449). */
  dpop?: boolean;
}

export interface FileConfig {
  default_env?: string;
  /**
   * The SSO providers by name: the keys directly in `[sso]` are the provider "default", each
   * `[sso.<name>]` table another one. Absent: no `[sso]` table.
   */
  sso?: Record<string, FileSso>;
  envs: Record<string, FileEnv>;
}

type Kind =
  | "string"
  | "boolean"
  | "integer"
  | "duration"
  | "strings"
  | "stringOrStrings"
  | "table"
  | "url";
interface KeySpec {
  kind: Kind;
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  /** For durations: the values accepted. */
  range?: DurationRange;
  /** For strings: "" is a value too (it means "none", as `[sso] prompt = ""` does). */
  empty?: boolean;
}

const ENV_KEYS: Record<string, KeySpec> = {
  base_url: { kind: "url" },
  sso: { kind: "string" },
  requires_sso: { kind: "boolean" },
  timeout: { kind: "duration", range: TIMEOUT_RANGE },
  retries: { kind: "integer", min: 0, max: 10 },
  headers: { kind: "table" },
  ca_file: { kind: "string" },
  auth: { kind: "table" },
};
const AUTH_KEYS: Record<string, KeySpec> = {
  type: { kind: "string", oneOf: AUTH_TYPES },
  issuer: { kind: "url" },
  token_url: { kind: "url" },
  revocation_url: { kind: "url" },
  client_id: { kind: "string" },
  client_secret_env: { kind: "string" },
  client_auth: { kind: "string", oneOf: CLIENT_AUTHS },
  scopes: { kind: "strings" },
  audience: { kind: "string" },
  resource: { kind: "string" },
  extra_params: { kind: "table" },
  refresh_margin: { kind: "duration", range: MARGIN_RANGE },
  verify_access_token: { kind: "string", oneOf: VERIFY_MODES },
  expected_audience: { kind: "stringOrStrings" },
  username_env: { kind: "string" },
  git_username: { kind: "string" },
  password_env: { kind: "string" },
  private_key_env: { kind: "string" },
  command: { kind: "strings" },
  subject_token_source: { kind: "string", oneOf: SUBJECT_TOKEN_SOURCES },
  subject_token_file: { kind: "string" },
  subject_token_env: { kind: "string" },
  subject_token_audience: { kind: "string" },
  subject_token_type: { kind: "string" },
  dpop: { kind: "boolean" },
  client_cert_file: { kind: "string" },
  client_key_file: { kind: "string" },
  client_key_env: { kind: "string" },
  mtls_api: { kind: "boolean" },
};
const SSO_KEYS: Record<string, KeySpec> = {
  issuer: { kind: "url" },
  client_id: { kind: "string" },
  client_secret_env: { kind: "string" },
  scopes: { kind: "strings" },
  redirect_port: { kind: "integer", min: 0, max: 65535 },
  redirect_host: { kind: "string", oneOf: ["127.0.0.1", "localhost", "[::1]"] },
  prompt: { kind: "string", empty: true },
  dpop: { kind: "boolean" },
};
const URL_HINT =
  'write an absolute https URL like "https://host/path", without user@ (secrets go ' +
  "in *_env variables)";

const TOP_KEYS = ["default_env", "sso", "envs"];

/** Keys that would hold a secret literally; the hint points at the `*_env` form. */
const LITERAL_SECRETS: Record<string, string> = {
  client_secret: "client_secret_env",
  password: "password_env",
  username: "username_env",
  private_key: "private_key_env",
  secret: "client_secret_env",
  subject_token: "subject_token_env",
  client_key: "client_key_env",
};

/** Validate a parsed TOML document. `text` is the file's source, used to find line numbers. */
export function validateConfig(
  doc: Record<string, unknown>,
  file: string,
  text: string,
): FileConfig {
  const v = new Validator(file, text);
  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.includes(key)) v.unknownKey([], key, TOP_KEYS);
  }
  const out: FileConfig = { envs: {} };
  if (doc.default_env !== undefined) {
    const name = v.value(["default_env"], doc.default_env, { kind: "string" }) as string;
    if (!ENV_NAME.test(name)) {
      v.fail(["default_env"], `invalid env name ${quote(name)}`, ENV_NAME_HINT);
    }
    out.default_env = name;
  }
  if (doc.sso !== undefined) out.sso = v.providers(doc.sso);
  if (doc.envs !== undefined) {
    const envs = v.value(["envs"], doc.envs, { kind: "table" }) as Record<string, unknown>;
    for (const [name, raw] of Object.entries(envs)) {
      if (!ENV_NAME.test(name)) {
        v.fail(["envs", name], `invalid env name ${quote(name)}`, ENV_NAME_HINT);
      }
      const env = v.table(["envs", name], raw, ENV_KEYS) as FileEnv & { auth?: unknown };
      if (env.headers) env.headers = v.headers(["envs", name, "headers"], env.headers);
      if (env.auth !== undefined) {
        const auth = v.table(["envs", name, "auth"], env.auth, AUTH_KEYS) as FileAuth;
        if (auth.extra_params) {
          auth.extra_params = v.stringTable(
            ["envs", name, "auth", "extra_params"],
            auth.extra_params,
          );
        }
        env.auth = auth;
      }
      if (env.sso !== undefined) v.providerRef(["envs", name, "sso"], env.sso, out.sso);
      out.envs[name] = env as FileEnv;
    }
  }
  return out;
}

/**
 * Whether `value` is a config `validateConfig` could have returned: known keys only, each value of
 * its kind and in its range (URLs are not parsed again). The parsed-config cache checks what it
 * reads back with this, so a cache file changed by hand cannot hand the program a value of a
 * type it does not expect.
 */
export function isFileConfig(value: unknown): value is FileConfig {
  if (!isPlainObject(value) || !isPlainObject(value.envs)) return false;
  for (const [key, v] of Object.entries(value)) {
    if (key === "default_env") {
      if (typeof v !== "string" || !ENV_NAME.test(v)) return false;
    } else if (key === "sso") {
      if (
        !isPlainObject(v) ||
        !Object.entries(v).every(([name, p]) => PROVIDER_NAME.test(name) && tableIs(p, SSO_KEYS))
      ) {
        return false;
      }
    } else if (key !== "envs") return false;
  }
  const providers = isPlainObject(value.sso) ? value.sso : {};
  return Object.entries(value.envs).every(([name, env]) =>
    ENV_NAME.test(name) &&
    tableIs(env, ENV_KEYS, (key, v) =>
      key === "sso"
        ? Object.hasOwn(providers, v as string)
        : key === "auth"
        ? tableIs(v, AUTH_KEYS, (k, p) =>
          k === "extra_params" ? isStringTable(p) : undefined)
        : key === "headers"
        ? isStringTable(v) && Object.entries(v as Record<string, string>).every(([n, x]) =>
          HEADER_NAME.test(n) && !NOT_HEADER_VALUE.test(x)
        )
        : undefined)
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null &&
    Object.getPrototypeOf(value) === Object.prototype;
}

function isStringTable(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every((v) => typeof v === "string");
}

/** Every key known and its value of its kind; `inner` decides for tables (undefined: any table). */
function tableIs(
  value: unknown,
  keys: Record<string, KeySpec>,
  inner: (key: string, value: unknown) => boolean | undefined = () => undefined,
): boolean {
  if (!isPlainObject(value)) return false;
  return Object.entries(value).every(([key, v]) => {
    const spec = Object.hasOwn(keys, key) ? keys[key] : undefined;
    return spec !== undefined && isOfKind(v, spec) && inner(key, v) !== false;
  });
}

function isOfKind(v: unknown, spec: KeySpec): boolean {
  switch (spec.kind) {
    case "string":
    case "url":
      return typeof v === "string" && (v !== "" || spec.empty === true) &&
        (!spec.oneOf || spec.oneOf.includes(v));
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return typeof v === "number" && Number.isInteger(v) &&
        (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
    case "duration":
      return typeof v === "number" && Number.isFinite(v) && v >= 0 &&
        (!spec.range || inRange(v, spec.range));
    case "strings":
      return Array.isArray(v) && v.every((s) => typeof s === "string");
    case "stringOrStrings":
      return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && s !== "");
    case "table":
      return isPlainObject(v);
  }
}

export const ENV_NAME_HINT =
  "env names are lower-case letters, digits, '_' and '-', starting with a letter or digit";
export const PROVIDER_NAME_HINT =
  "SSO provider names are lower-case letters, digits, '_' and '-', starting with a letter or digit";

/** How a provider's table is written: `[sso]` for the default one, `[sso.lab]` for "lab". */
export function providerTable(name: string): string {
  return name === DEFAULT_PROVIDER ? "[sso]" : `[sso.${name}]`;
}

/** A TOML table (not an array, a date or a value). */
function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

class Validator {
  constructor(readonly file: string, readonly text: string) {}

  fail(path: string[], message: string, hint: string): never {
    const line = findKeyLine(this.text, path);
    const where = line ? `${this.file}:${line}` : this.file;
    throw new ConfigError("CONFIG_INVALID", `${where}: ${keyPath(path)}: ${message}`, { hint });
  }

  unknownKey(parent: string[], key: string, valid: readonly string[]): never {
    const secretKey = Object.hasOwn(LITERAL_SECRETS, key) ? LITERAL_SECRETS[key] : undefined;
    if (secretKey && parent.at(-1) !== "headers") {
      this.fail(
        [...parent, key],
        key === "username"
          ? "the username is read from an environment variable"
          : "secrets never live in the config file",
        `name an environment variable instead: ${secretKey} = "MY_VAR" (it may be set in .env)`,
      );
    }
    // A likely typo gets its correction alone; without one, every key that would be valid.
    const near = nearest(key, valid);
    this.fail(
      [...parent, key],
      "unknown key",
      near ? `did you mean ${quote(near)}?` : `valid keys: ${valid.join(", ")}`,
    );
  }

  table(path: string[], raw: unknown, keys: Record<string, KeySpec>): Record<string, unknown> {
    const obj = this.value(path, raw, { kind: "table" }) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const spec = Object.hasOwn(keys, key) ? keys[key] : undefined;
      if (!spec) this.unknownKey(path, key, Object.keys(keys));
      out[key] = this.value([...path, key], value, spec);
    }
    return out;
  }

  /**
   * `[sso]`: its own keys are the provider "default", each sub-table another provider (a name
   * like an env's, and not one of the keys). The default one comes first.
   */
  providers(raw: unknown): Record<string, FileSso> {
    const table = this.value(["sso"], raw, { kind: "table" }) as Record<string, unknown>;
    const own: Record<string, unknown> = {};
    const named: Record<string, FileSso> = {};
    for (const [key, value] of Object.entries(table)) {
      if (!isTable(value)) {
        own[key] = value;
        continue;
      }
      const path = ["sso", key];
      if (Object.hasOwn(SSO_KEYS, key)) {
        this.fail(
          path,
          `a provider cannot be named ${quote(key)}: it is a key of [sso]`,
          `give the provider another name, or write ${key} = … directly in [sso]`,
        );
      }
      if (key === DEFAULT_PROVIDER) {
        this.fail(
          path,
          'the provider "default" is [sso] itself',
          "put its keys directly in [sso], or give this provider another name",
        );
      }
      if (!PROVIDER_NAME.test(key)) {
        this.fail(path, `invalid SSO provider name ${quote(key)}`, PROVIDER_NAME_HINT);
      }
      named[key] = this.table(path, value, SSO_KEYS) as FileSso;
    }
    const out: Record<string, FileSso> = {};
    // [sso] with sub-tables only (or nothing) has no default provider.
    if (Object.keys(own).length > 0) {
      out[DEFAULT_PROVIDER] = this.table(["sso"], own, SSO_KEYS) as FileSso;
    }
    Object.assign(out, named);
    // Sessions are kept by issuer and client id (src/sso/session.ts): two providers with both
    // the same would share one.
    const seen: Array<[string, FileSso]> = [];
    for (const [name, p] of Object.entries(out)) {
      const twin = seen.find(([, o]) =>
        p.issuer !== undefined && o.issuer !== undefined && sameIssuer(p.issuer, o.issuer) &&
        p.client_id !== undefined && p.client_id === o.client_id
      );
      if (twin) {
        this.fail(
          name === DEFAULT_PROVIDER ? ["sso", "client_id"] : ["sso", name, "client_id"],
          `the same issuer and client_id as ${
            providerTable(twin[0])
          }: the two would share one session`,
          "keep one of them, or register another client at the IdP for this one",
        );
      }
      seen.push([name, p]);
    }
    return out;
  }

  /** An env's `sso = "<name>"`: a provider the file defines. */
  providerRef(path: string[], name: string, providers: Record<string, FileSso> | undefined) {
    const names = Object.keys(providers ?? {});
    if (names.includes(name)) return;
    const near = nearest(name, names);
    this.fail(
      path,
      `unknown SSO provider ${quote(name)}`,
      names.length === 0
        ? `this file defines no SSO provider: add ${providerTable(name)} with issuer and client_id`
        : `${near ? `did you mean ${quote(near)}? ` : ""}providers: ${names.join(", ")}`,
    );
  }

  stringTable(path: string[], raw: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof value !== "string") {
        this.fail(
          [...path, k],
          `expected a string, got ${describe(value)}`,
          `write ${keyPath([k])} = "value"`,
        );
      }
      out[k] = value;
    }
    return out;
  }

  /** HTTP header fields: names are RFC 9110 tokens, values printable ASCII (tabs allowed). */
  headers(path: string[], raw: unknown): Record<string, string> {
    const out = this.stringTable(path, raw);
    for (const [name, value] of Object.entries(out)) {
      if (!HEADER_NAME.test(name)) {
        this.fail(
          [...path, name],
          name === "" ? "empty header name" : "invalid header name",
          "header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)",
        );
      }
      // The value is not shown: it may be a key.
      const bad = value.search(NOT_HEADER_VALUE);
      if (bad >= 0) {
        this.fail(
          [...path, name],
          `invalid header value (character ${bad + 1} is ${quote(value[bad])})`,
          "header values are printable ASCII: no line breaks or other control characters",
        );
      }
    }
    return out;
  }

  value(path: string[], raw: unknown, spec: KeySpec): unknown {
    switch (spec.kind) {
      case "string":
      case "url": {
        if (typeof raw !== "string" || (raw === "" && !spec.empty)) {
          const what = spec.empty ? "a string" : "a non-empty string";
          this.fail(path, `expected ${what}, got ${describe(raw)}`, oneOfHint(spec));
        }
        if (spec.oneOf && !spec.oneOf.includes(raw)) {
          this.fail(path, `invalid value ${quote(raw)}`, oneOfHint(spec));
        }
        if (spec.kind === "url") {
          const problem = endpointUrlProblem(raw);
          if (problem) this.fail(path, problem, URL_HINT);
        }
        return raw;
      }
      case "boolean":
        if (typeof raw !== "boolean") {
          this.fail(path, `expected true or false, got ${describe(raw)}`, "write true or false");
        }
        return raw;
      case "integer": {
        const n = typeof raw === "bigint" ? Number(raw) : raw;
        const range = `a whole number from ${spec.min} to ${spec.max}`;
        if (typeof n !== "number" || !Number.isInteger(n)) {
          this.fail(path, `expected ${range}, got ${describe(raw)}`, `write ${range}`);
        }
        if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          this.fail(path, `out of range: ${n}`, `write ${range}`);
        }
        return n;
      }
      case "duration": {
        const ms = parseDuration(typeof raw === "bigint" ? Number(raw) : raw);
        if (ms === undefined) {
          this.fail(path, `invalid duration ${describe(raw)}`, `write ${DURATION_HINT}`);
        }
        if (spec.range && !inRange(ms, spec.range)) {
          this.fail(path, `out of range: ${describe(raw)}`, rangeHint(spec.range));
        }
        return ms;
      }
      case "strings":
        if (!Array.isArray(raw) || raw.some((s) => typeof s !== "string")) {
          this.fail(path, `expected a list of strings, got ${describe(raw)}`, 'write ["a", "b"]');
        }
        return raw;
      case "stringOrStrings":
        if (typeof raw === "string" && raw !== "") return [raw];
        if (
          !Array.isArray(raw) || raw.length === 0 || raw.some((s) => typeof s !== "string" || !s)
        ) {
          this.fail(
            path,
            `expected a string or a list of strings, got ${describe(raw)}`,
            'write "value" or ["a", "b"]',
          );
        }
        return raw;
      case "table":
        if (typeof raw !== "object" || raw === null || Array.isArray(raw) || raw instanceof Date) {
          this.fail(path, `expected a table, got ${describe(raw)}`, `write [${keyPath(path)}]`);
        }
        return raw;
    }
  }
}

function oneOfHint(spec: KeySpec): string {
  return spec.oneOf
    ? `valid values: ${spec.oneOf.map((s) => quote(s)).join(", ")}`
    : 'write key = "value"';
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "object") return "a table";
  if (typeof value === "string") return quote(value);
  return `${typeof value === "bigint" ? "integer" : typeof value} ${String(value)}`;
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** RFC 9110 `token`: the characters of a header field name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a header value may not hold: anything but visible ASCII, space and tab. */
const NOT_HEADER_VALUE = /[^\t\x20-\x7e]/;

/** `envs.dev.headers."Bad Header"`: a key path as TOML writes it, quoted where needed, short. */
function keyPath(path: readonly string[]): string {
  return path.map((k) => {
    const key = k.length > 60 ? `${k.slice(0, 60)}…` : k;
    return /^[A-Za-z0-9_-]+$/.test(key) ? key : quote(key);
  }).join(".");
}

/** A value quoted for a one-line message: JSON escapes, and DEL, C1 controls and U+2028/9 too. */
function quote(value: unknown): string {
  return q(value).replace(
    /[\x7f-\x9f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
