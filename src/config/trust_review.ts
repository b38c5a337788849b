/**
 * What a config file lets lmi do, for `lmi trust` to show before it records the file: each env's
 * token and API hosts, every command it runs, every variable and file it reads, and the SSO
 * issuers. Worked out by the same resolver lmi uses (src/config/resolve.ts), with no variable
 * and no `.env` file read, so what is shown is what the file itself decides.
 *
 * @module
 */
import type { LoadedConfig } from "./load.ts";
import { type ResolvedEnv, resolveNamedEnv, type SecretRef } from "./resolve.ts";
import { ssoConfig } from "./sso.ts";

/** One env as `lmi trust` shows it. */
export interface EnvReview {
  name: string;
  auth_type?: string;
  /** Where tokens come from (and credentials go): issuer, token URL. */
  token_hosts: string[];
  /** Where API requests go, with the token. */
  api?: string;
  /** Programs it runs (`type = "command"`), as argument lists. */
  commands: string[][];
  /** Variables it reads (secrets and settings). */
  variables: string[];
  /** Files it reads (CA bundles, client certificates and keys, subject tokens). */
  files: string[];
  /** Why the env cannot be used as written, when it cannot. */
  problem?: string;
}

/** The `[sso]` provider as `lmi trust` shows it. */
export interface SsoReview {
  issuer: string;
  client_id: string;
  variables: string[];
}

export interface ConfigReview {
  envs: EnvReview[];
  sso: SsoReview[];
}

/** Nothing set, nothing read: the resolver then says what the file itself asks for. */
const NOTHING = { env: () => undefined, cwd: "/" };

/** What the file `config` (already parsed and validated) lets lmi do. */
export function reviewConfig(config: LoadedConfig): ConfigReview {
  const bare: LoadedConfig = { ...config, dotenvDirs: [] };
  delete bare.unreadDotenvDir;
  const envs = Object.keys(config.file.envs).map((name) => {
    try {
      return reviewEnv(resolveNamedEnv(NOTHING, bare, name));
    } catch (err) {
      return {
        name,
        token_hosts: [],
        commands: [],
        variables: [],
        files: [],
        problem: err instanceof Error ? err.message : String(err),
      };
    }
  });
  const sso: SsoReview[] = [];
  const s = ssoReview(bare);
  if (s) sso.push(s);
  return { envs, sso };
}

function ssoReview(config: LoadedConfig): SsoReview | undefined {
  try {
    const s = ssoConfig(NOTHING, config);
    if (!s) return undefined;
    return { issuer: s.issuer, client_id: s.clientId, variables: names([s.clientSecret]) };
  } catch {
    const s = config.file.sso;
    return s?.issuer
      ? { issuer: s.issuer, client_id: s.client_id ?? "", variables: [] }
      : undefined;
  }
}

function names(refs: (SecretRef | undefined)[]): string[] {
  return [...new Set(refs.filter((r) => r !== undefined).map((r) => r.variable))];
}

function reviewEnv(env: ResolvedEnv): EnvReview {
  const a = env.auth;
  const refs: (SecretRef | undefined)[] = [
    a.clientSecret,
    a.username,
    a.password,
    a.privateKey,
    a.clientCert?.key,
  ];
  const files: string[] = [];
  if (env.caFile) files.push(env.caFile);
  if (a.clientCert) files.push(a.clientCert.certFile);
  if (a.clientCert?.keyFile) files.push(a.clientCert.keyFile);
  const subject = a.subjectToken;
  if (subject?.kind === "file") files.push(subject.path);
  if (subject?.kind === "env") refs.push(subject.token);
  if (subject?.kind === "github_actions") refs.push(subject.requestUrl, subject.requestToken);
  const out: EnvReview = {
    name: env.name,
    auth_type: a.type,
    token_hosts: [a.issuer, a.tokenUrl].filter((u) => u !== undefined),
    commands: a.command ? [a.command] : [],
    variables: names(refs),
    files,
  };
  if (env.baseUrl !== undefined) out.api = env.baseUrl;
  return out;
}

/**
 * A value from the file, quoted so that nothing in it can act on the terminal or pass for
 * something else: JSON escapes, plus C1 controls and bidirectional overrides written as `\u`.
 */
export function shown(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The review as lines for people. */
export function reviewLines(review: ConfigReview): string[] {
  const lines: string[] = [];
  if (review.envs.length === 0 && review.sso.length === 0) lines.push("  (no envs, no [sso])");
  for (const e of review.envs) {
    lines.push(`  env ${shown(e.name)}${e.auth_type ? ` (${e.auth_type})` : ""}`);
    if (e.problem) lines.push(`    not usable as written: ${shown(e.problem)}`);
    for (const host of e.token_hosts) lines.push(`    gets tokens from  ${shown(host)}`);
    if (e.api) lines.push(`    sends them to     ${shown(e.api)}`);
    for (const c of e.commands) lines.push(`    runs              ${c.map(shown).join(" ")}`);
    if (e.variables.length) {
      lines.push(`    reads variables   ${e.variables.map(shown).join(", ")}`);
    }
    for (const f of e.files) lines.push(`    reads file        ${shown(f)}`);
  }
  for (const s of review.sso) {
    lines.push(`  [sso] signs in at ${shown(s.issuer)} as client ${shown(s.client_id)}`);
    if (s.variables.length) {
      lines.push(`    reads variables   ${s.variables.map(shown).join(", ")}`);
    }
  }
  return lines;
}
