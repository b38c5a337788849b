/**
 * What a config file lets lmi do, for `lmi trust` to show: for each env, every host that gets a
 * secret or a token (and which secrets), every program it runs, every variable and file it reads;
 * every SSO provider's issuer; and the `.env` files beside it that lmi would read. Worked out by the same
 * resolver lmi uses (src/config/resolve.ts) with no variable and no `.env` file read, so what is
 * shown is what the file itself decides. Hosts are shown as lmi will contact them (the URL
 * parsed: an internationalised host in its ASCII form, so a look-alike letter shows).
 *
 * @module
 */
import { join } from "../util/path.ts";
import { visible } from "../ui/text.ts";
import type { LoadedConfig } from "./load.ts";
import { type ResolvedEnv, resolveNamedEnv, type SecretRef } from "./resolve.ts";
import { ssoConfig, ssoProviderNames, ssoTable } from "./sso.ts";

/** A host lmi sends something to, and what. */
export interface Destination {
  /** What lmi does there: "gets tokens from", "revokes tokens at", "calls the API at". */
  role: string;
  url: string;
  /** The variables whose values go there (secrets: client secret, password, key, token). */
  sends: string[];
}

/** One env as `lmi trust` shows it. */
export interface EnvReview {
  name: string;
  auth_type?: string;
  destinations: Destination[];
  /** Programs it runs (`type = "command"`), as argument lists. */
  commands: string[][];
  /** Every variable it reads. */
  variables: string[];
  /** Files it reads (CA bundles, client certificates and keys, subject tokens). */
  files: string[];
  /** Why the env cannot be used as written, when it cannot. */
  problem?: string;
}

/** An SSO provider (`[sso]`, `[sso.<name>]`) as `lmi trust` shows it. */
export interface SsoReview {
  /** "default" for `[sso]` itself. */
  name: string;
  issuer: string;
  client_id: string;
  variables: string[];
}

export interface ConfigReview {
  envs: EnvReview[];
  sso: SsoReview[];
  /** The `.env` files beside the config, which lmi reads once it may use the config. */
  dotenv_files: string[];
}

/** Nothing set, nothing read: the resolver then says what the file itself asks for. */
const NOTHING = { env: () => undefined, cwd: "/" };

/** What the file `config` (already parsed and validated) lets lmi do. */
export function reviewConfig(config: LoadedConfig & { path: string }): ConfigReview {
  const bare: LoadedConfig = { ...config, dotenvDirs: [] };
  delete bare.unreadDotenvDir;
  const envs = Object.keys(config.file.envs).map((name): EnvReview => {
    try {
      return reviewEnv(resolveNamedEnv(NOTHING, bare, name));
    } catch (err) {
      return {
        name,
        destinations: [],
        commands: [],
        variables: [],
        files: [],
        problem: err instanceof Error ? err.message : String(err),
      };
    }
  });
  const sso = ssoProviderNames(bare).flatMap((name) => ssoReview(bare, name) ?? []);
  return { envs, sso, dotenv_files: dotenvFiles(config) };
}

/** `.env` and `.env.<env>` beside the config file that exist. */
function dotenvFiles(config: LoadedConfig & { path: string }): string[] {
  const dir = join(config.path, "..");
  const names = [".env", ...Object.keys(config.file.envs).map((e) => `.env.${e}`), ".env.sso"];
  return names.map((n) => join(dir, n)).filter((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

function ssoReview(config: LoadedConfig, name: string): SsoReview | undefined {
  try {
    const s = ssoConfig(NOTHING, config, name);
    if (!s) return undefined;
    return {
      name,
      issuer: asContacted(s.issuer),
      client_id: s.clientId,
      variables: names([s.clientSecret]),
    };
  } catch {
    const s = config.file.sso?.[name];
    return s?.issuer
      ? { name, issuer: asContacted(s.issuer), client_id: s.client_id ?? "", variables: [] }
      : undefined;
  }
}

function names(refs: (SecretRef | undefined)[]): string[] {
  return [...new Set(refs.filter((r) => r !== undefined).map((r) => r.variable))];
}

/** A URL as lmi will contact it: parsed, so the host is in its ASCII (punycode) form. */
function asContacted(url: string): string {
  return URL.parse(url)?.href ?? url;
}

function reviewEnv(env: ResolvedEnv): EnvReview {
  const a = env.auth;
  const subject = a.subjectToken;
  // What goes to the token endpoint: the client's credentials and the grant's.
  const credentials = names([
    a.clientSecret,
    a.privateKey,
    a.clientCert?.key,
    a.username,
    a.password,
    subject?.kind === "env" ? subject.token : undefined,
  ]);
  const destinations: Destination[] = [];
  for (const url of [a.issuer, a.tokenUrl]) {
    if (url !== undefined) {
      destinations.push({ role: "gets tokens from", url: asContacted(url), sends: credentials });
    }
  }
  if (a.revocationUrl !== undefined) {
    destinations.push({
      role: "revokes tokens at",
      url: asContacted(a.revocationUrl),
      sends: names([a.clientSecret, a.privateKey, a.clientCert?.key]),
    });
  }
  if (env.baseUrl !== undefined) {
    destinations.push({
      role: a.type === "none" ? "calls the API at" : "sends its tokens to",
      url: asContacted(env.baseUrl),
      sends: [],
    });
  }
  const files: string[] = [];
  if (env.caFile) files.push(env.caFile);
  if (a.clientCert) files.push(a.clientCert.certFile);
  if (a.clientCert?.keyFile) files.push(a.clientCert.keyFile);
  if (subject?.kind === "file") files.push(subject.path);
  const github = subject?.kind === "github_actions"
    ? [subject.requestUrl, subject.requestToken]
    : [];
  const out: EnvReview = {
    name: env.name,
    auth_type: a.type === "sso" || env.requiresSso
      ? `${a.type}, SSO provider ${JSON.stringify(env.ssoProvider)}`
      : a.type,
    destinations,
    commands: a.command ? [a.command] : [],
    variables: [...new Set([...credentials, ...names(github)])],
    files,
  };
  return out;
}

/**
 * A value from the file, quoted so that nothing in it can act on the terminal or pass for
 * something else: JSON's escapes, and every other control, format or separator character as
 * `\u{…}`.
 */
export function shown(value: string): string {
  return visible(JSON.stringify(value));
}

/** The host a URL goes to, as the network sees it (an internationalised name in ASCII). */
function hostOf(url: string): string {
  return shown(URL.parse(url)?.host ?? "?");
}

/** The review as lines for people. */
export function reviewLines(review: ConfigReview): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`    ${label.padEnd(20)}${value}`);
  const list = (values: string[]) => values.map(shown).join(", ");
  if (review.envs.length === 0 && review.sso.length === 0) lines.push("  (no envs, no [sso])");
  for (const e of review.envs) {
    lines.push(`  env ${shown(e.name)}${e.auth_type ? ` (${e.auth_type})` : ""}`);
    if (e.problem) row("not usable:", shown(e.problem));
    for (const c of e.commands) row("runs", c.map(shown).join(" "));
    for (const d of e.destinations) {
      const sends = d.sends.length ? `, sending ${list(d.sends)}` : "";
      row(d.role, `host ${hostOf(d.url)} (${shown(d.url)})${sends}`);
    }
    if (e.variables.length) row("reads variables", list(e.variables));
    for (const f of e.files) row("reads file", shown(f));
  }
  for (const s of review.sso) {
    lines.push(
      `  ${ssoTable(s.name)} signs people in at host ${hostOf(s.issuer)} (${shown(s.issuer)}) ` +
        `as client ${shown(s.client_id)}`,
    );
    if (s.variables.length) row("reads variables", list(s.variables));
  }
  if (review.dotenv_files.length) {
    lines.push(`  and reads the variables in ${list(review.dotenv_files)}`);
  }
  return lines;
}
