/**
 * `lmi env show [NAME] [--json]`: the env's resolved config and where each value came from.
 * Secrets appear only as "set (VAR)" or "missing (VAR)".
 *
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import { formatSource, type Source } from "../config/dotenv.ts";
import type { ResolvedEnv, SecretRef } from "../config/resolve.ts";
import type { TrustBasis } from "../config/trust.ts";
import { envFor, writeJson } from "./common.ts";
import type { CommandArgs, CommandContext } from "./spec.ts";

export interface EnvShowOptions {
  /** The env named on the command line (else --env, LMI_ENV, default_env). */
  name?: string;
}

interface Entry {
  key: string;
  value: unknown;
  source: string;
}

function secretText(ref: SecretRef): string {
  return `${ref.value !== undefined && ref.value !== "" ? "set" : "missing"} (${ref.variable})`;
}

/** The rows env show prints, in a stable order. */
export function describeEnv(env: ResolvedEnv): Entry[] {
  const src = (key: string, fallback: Source = { kind: "default" }) =>
    formatSource(env.sources[key] ?? fallback);
  const rows: Entry[] = [
    { key: "name", value: env.name, source: src("name") },
    { key: "base_url", value: env.baseUrl ?? null, source: src("base_url") },
    { key: "requires_sso", value: env.requiresSso, source: src("requires_sso") },
    // The SSO provider its sso auth and requires_sso use: `sso = "<name>"`, else "default".
    { key: "sso", value: env.ssoProvider, source: src("sso") },
    { key: "timeout", value: formatDuration(env.timeoutMs), source: src("timeout") },
    { key: "retries", value: env.retries, source: src("retries") },
    { key: "headers", value: env.headers, source: src("headers") },
  ];
  if (env.caFile) rows.push({ key: "ca_file", value: env.caFile, source: src("ca_file") });
  const a = env.auth;
  rows.push(
    { key: "auth.type", value: a.type, source: src("auth.type") },
    { key: "auth.issuer", value: a.issuer ?? null, source: src("auth.issuer") },
    { key: "auth.token_url", value: a.tokenUrl ?? null, source: src("auth.token_url") },
    {
      key: "auth.revocation_url",
      value: a.revocationUrl ?? null,
      source: src("auth.revocation_url"),
    },
    { key: "auth.client_id", value: a.clientId ?? null, source: src("auth.client_id") },
    { key: "auth.client_auth", value: a.clientAuth, source: src("auth.client_auth") },
    { key: "auth.scopes", value: a.scopes, source: src("auth.scopes") },
    { key: "auth.audience", value: a.audience ?? null, source: src("auth.audience") },
    { key: "auth.resource", value: a.resource ?? null, source: src("auth.resource") },
    { key: "auth.extra_params", value: a.extraParams, source: src("auth.extra_params") },
    {
      key: "auth.refresh_margin",
      value: formatDuration(a.refreshMarginMs),
      source: src("auth.refresh_margin"),
    },
    {
      key: "auth.verify_access_token",
      value: a.verifyAccessToken,
      source: src("auth.verify_access_token"),
    },
    {
      key: "auth.expected_audience",
      value: a.expectedAudience ?? null,
      source: src("auth.expected_audience"),
    },
  );
  const secrets: Array<[string, string, SecretRef | undefined]> = [
    ["auth.client_secret", "auth.client_secret_env", a.clientSecret],
    ["auth.private_key", "auth.private_key_env", a.privateKey],
    ["auth.username", "auth.username_env", a.username],
    ["auth.password", "auth.password_env", a.password],
  ];
  for (const [key, refKey, ref] of secrets) {
    if (!ref) continue;
    const where = ref.source
      ? formatSource(ref.source)
      : `variable named by ${src(refKey).replace(/^default$/, "default name")}`;
    rows.push({ key, value: secretText(ref), source: where });
  }
  if (a.command) rows.push({ key: "auth.command", value: a.command, source: src("auth.command") });
  if (env.sso) {
    // The provider the env signs in with, as its table says (src: the config file).
    const table = { kind: "file", detail: env.configPath ?? "the config" } as const;
    const from = formatSource(table);
    rows.push(
      { key: "sso.issuer", value: env.sso.issuer, source: from },
      { key: "sso.client_id", value: env.sso.clientId, source: from },
      { key: "sso.scopes", value: env.sso.scopes, source: from },
      { key: "sso.prompt", value: env.sso.prompt ?? null, source: src("sso.prompt") },
    );
  }
  rows.push(...subjectTokenRows(env, src));
  rows.push(...clientCertRows(env, src));
  return rows;
}

/** mTLS: the certificate's and key's files; a key in a variable only as set / missing. */
function clientCertRows(env: ResolvedEnv, src: (key: string) => string): Entry[] {
  const c = env.auth.clientCert;
  if (!c) return [];
  const rows: Entry[] = [
    { key: "auth.client_cert_file", value: c.certFile, source: src("auth.client_cert_file") },
  ];
  if (c.keyFile) {
    rows.push({
      key: "auth.client_key_file",
      value: c.keyFile,
      source: src("auth.client_key_file"),
    });
  } else if (c.key) {
    rows.push({
      key: "auth.client_key",
      value: secretText(c.key),
      source: c.key.source ? formatSource(c.key.source) : src("auth.client_key_env"),
    });
  } else {
    rows.push({ key: "auth.client_key_file", value: c.certFile, source: "client_cert_file" });
  }
  rows.push({
    key: "auth.mtls_api",
    value: env.auth.mtlsApi ?? false,
    source: src("auth.mtls_api"),
  });
  return rows;
}

/** Where a workload's subject token comes from; the token itself only as set / missing. */
function subjectTokenRows(env: ResolvedEnv, src: (key: string) => string): Entry[] {
  const t = env.auth.subjectToken;
  if (!t) return [];
  const rows: Entry[] = [
    { key: "auth.subject_token_source", value: t.kind, source: src("auth.subject_token_source") },
  ];
  switch (t.kind) {
    case "file":
      rows.push({
        key: "auth.subject_token_file",
        value: t.path,
        source: src("auth.subject_token_file"),
      });
      break;
    case "env":
      rows.push({
        key: "auth.subject_token",
        value: secretText(t.token),
        source: t.token.source ? formatSource(t.token.source) : src("auth.subject_token_env"),
      });
      break;
    case "github_actions":
      rows.push(
        {
          key: "auth.subject_token_audience",
          value: t.audience ?? null,
          source: src("auth.subject_token_audience"),
        },
        {
          key: "ACTIONS_ID_TOKEN_REQUEST_URL",
          value: secretText(t.requestUrl),
          source: "environment",
        },
        {
          key: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
          value: secretText(t.requestToken),
          source: "environment",
        },
      );
      break;
  }
  if (env.auth.subjectTokenType) {
    rows.push({
      key: "auth.subject_token_type",
      value: env.auth.subjectTokenType,
      source: src("auth.subject_token_type"),
    });
  }
  return rows;
}

/** Why lmi may use the config file, as env show says it. */
export function trustText(trust: TrustBasis): string {
  switch (trust.kind) {
    case "named":
      return trust.by === "user config" ? "the user config file" : `named by ${trust.by}`;
    case "trusted path":
      return `below ${trust.folder}, in LMI_TRUSTED_PATHS`;
    case "recorded":
      return `trusted at ${trust.at} (lmi trust, or written by lmi init)`;
  }
}

function show(value: unknown): string {
  if (value === null) return "-";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The command line → options (no I/O). */
export function parseOptions(
  _flags: unknown,
  { positionals }: Pick<CommandArgs, "positionals">,
): EnvShowOptions {
  const [name] = positionals;
  return name === undefined ? {} : { name };
}

export async function run(options: EnvShowOptions, ctx: CommandContext): Promise<number> {
  const { config, env } = await envFor(ctx, options.name);
  const rows = describeEnv(env);
  if (ctx.globals.json) {
    await writeJson(ctx, {
      name: env.name,
      config: config.path ?? null,
      trusted_by: config.trust ? trustText(config.trust) : null,
      values: Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }])),
    });
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.key.length));
  const valueWidth = Math.min(48, Math.max(...rows.map((r) => show(r.value).length)));
  const lines = [
    `config: ${
      config.path
        ? `${config.path} (${trustText(config.trust!)})`
        : "(none: defined by environment variables)"
    }`,
    ...rows.map((r) =>
      `${r.key.padEnd(width)}  ${show(r.value).padEnd(valueWidth)}  ${r.source}`.trimEnd()
    ),
  ];
  await ctx.deps.stdout.write(lines.join("\n") + "\n");
  return 0;
}
