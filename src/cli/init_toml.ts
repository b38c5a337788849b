/**
 * The TOML `lmi init` writes: a starter `lmi.toml`, or the tables it appends to an existing one
 * (the file above them is kept byte for byte). Every key carries a short comment; secrets are
 * never written, only the names of the variables that hold them (`*_env`). Pure.
 *
 * @module
 */
import { defaultVar } from "../config/resolve.ts";
import type { ClientAuthChoice, InitType } from "./init_offers.ts";

/** What to write. */
export interface InitPlan {
  /** The env's name (matches ENV_NAME). */
  env: string;
  type: InitType;
  /** The issuer as the IdP names it. */
  issuer: string;
  clientId: string;
  clientAuth: ClientAuthChoice;
  /** For `sso`: the `[sso]` table to write, when the file has none yet. */
  sso?: { scopes: string[] };
  /** The env's `base_url`; written commented out (to fill in) when not given. */
  baseUrl?: string;
  /** A file of its own (a header and `default_env`), not tables appended to one. */
  newFile: boolean;
}

/** A variable the user must set before the env works, and what it holds. */
export interface NeededVariable {
  variable: string;
  what: string;
}

/** The variables the written config reads secrets from (none for public clients and sso). */
export function neededVariables(plan: InitPlan): NeededVariable[] {
  const out: NeededVariable[] = [];
  if (plan.type === "sso") return out;
  if (plan.clientAuth === "secret") {
    out.push({ variable: defaultVar(plan.env, "CLIENT_SECRET"), what: "the client secret" });
  }
  if (plan.clientAuth === "private_key_jwt") {
    out.push({
      variable: defaultVar(plan.env, "PRIVATE_KEY"),
      what: "the client's private key (PEM)",
    });
  }
  if (plan.type === "password") {
    out.push({ variable: defaultVar(plan.env, "USERNAME"), what: "the user name" });
    out.push({ variable: defaultVar(plan.env, "PASSWORD"), what: "the password" });
  }
  return out;
}

/** A TOML basic string: JSON's escapes are TOML's, DEL (which JSON leaves as is) escaped too. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\x7f/g, "\\u007F");
}

function tomlStrings(values: readonly string[]): string {
  return `[${values.map(tomlString).join(", ")}]`;
}

/** The column trailing comments start at (as in lmi's documentation). */
const COMMENT_COLUMN = 37;

/**
 * A line of code with its comment lined up at {@link COMMENT_COLUMN}; more comment lines go
 * below, at the same column.
 */
function line(code: string, ...comments: string[]): string {
  if (comments.length === 0) return code;
  const [first, ...more] = comments;
  const pad = code.length < COMMENT_COLUMN ? " ".repeat(COMMENT_COLUMN - code.length) : "  ";
  return [
    `${code}${pad}# ${first}`,
    ...more.map((c) => `${" ".repeat(COMMENT_COLUMN)}# ${c}`),
  ].join("\n");
}

/** `key = "value"`. */
function kv(key: string, value: string, ...comments: string[]): string {
  return line(`${key} = ${tomlString(value)}`, ...comments);
}

/** `# key = "value"`: a key left for the user to set. */
function offKv(key: string, value: string, ...comments: string[]): string {
  return line(`# ${key} = ${tomlString(value)}`, ...comments);
}

function ssoTable(plan: InitPlan, scopes: readonly string[]): string[] {
  return [
    line("[sso]", "people's sign-in (OpenID Connect): lmi login sso"),
    kv("issuer", plan.issuer),
    kv(
      "client_id",
      plan.clientId,
      "a public client (PKCE), redirect URI http://127.0.0.1/callback",
    ),
    offKv("client_secret_env", "LMI_SSO_CLIENT_SECRET", "confidential clients only"),
    line(`scopes = ${tomlStrings(scopes)}`),
    line(
      "# redirect_port = 0",
      "0: any free port; an IdP that matches redirect URIs",
      "exactly, port included, needs a fixed one registered",
    ),
  ];
}

function authTable(plan: InitPlan): string[] {
  const { env, type } = plan;
  const lines = [`[envs.${env}.auth]`];
  switch (type) {
    case "sso":
      lines.push(kv("type", type, "calls the API with the SSO session's access token"));
      return lines;
    case "client_credentials":
      lines.push(kv("type", type, "the service's own client id and secret (RFC 6749 4.4)"));
      break;
    case "password":
      lines.push(kv("type", type, "a user name and password (RFC 6749 4.3)"));
      break;
    case "token_exchange":
      lines.push(kv("type", type, "trades the job's own token for one (RFC 8693)"));
      break;
    case "jwt_bearer":
      lines.push(kv("type", type, "presents the job's own token as a grant (RFC 7523)"));
      break;
  }
  lines.push(kv("issuer", plan.issuer, "endpoints come from its discovery document"));
  lines.push(kv("client_id", plan.clientId));
  const secretVar = defaultVar(env, "CLIENT_SECRET");
  switch (plan.clientAuth) {
    case "secret":
      lines.push(
        kv("client_secret_env", secretVar, "the variable (or .env line) holding the secret"),
        offKv(
          "client_auth",
          "client_secret_post",
          "not set: chosen from the IdP's methods",
        ),
      );
      break;
    case "private_key_jwt":
      lines.push(
        kv("client_auth", "private_key_jwt", "a JWT signed with the client's key (RFC 7523)"),
        kv(
          "private_key_env",
          defaultVar(env, "PRIVATE_KEY"),
          "the variable holding that key (PEM)",
        ),
      );
      break;
    case "public":
      if (type === "password") lines.push(kv("client_auth", "none", "a public client"));
      lines.push(offKv("client_secret_env", secretVar, "confidential clients only"));
      break;
  }
  if (type === "password") {
    lines.push(
      kv("username_env", defaultVar(env, "USERNAME"), "the variable holding the user name"),
      kv("password_env", defaultVar(env, "PASSWORD"), "the variable holding the password"),
    );
  }
  if (type === "token_exchange" || type === "jwt_bearer") {
    lines.push(
      kv(
        "subject_token_source",
        "github_actions",
        "the job's OIDC token (permissions: id-token: write);",
        'elsewhere "file" (subject_token_file) or "env"',
        "(subject_token_env)",
      ),
      offKv("subject_token_audience", plan.issuer, "the aud asked of GitHub"),
    );
  }
  lines.push(
    line('# scopes = ["api.read"]', "the scopes to ask for"),
    offKv("audience", "https://api.example.com", "for IdPs that take an audience parameter"),
  );
  return lines;
}

/**
 * The text `lmi init` writes for `plan`: the whole file when `plan.newFile`, else the tables to
 * append (starting with a blank line and a comment saying where they came from).
 */
export function initToml(plan: InitPlan): string {
  const blocks: string[][] = [];
  if (plan.newFile) {
    blocks.push([
      `# lmi's settings, written by \`lmi init\` from the discovery document of ${plan.issuer}.`,
      "# No secret goes in this file, only the names of the variables that hold them (*_env), read",
      "# from the environment or from a .env file beside this one.",
    ]);
    blocks.push([kv("default_env", plan.env, "the env used without --env (LMI_ENV overrides it)")]);
  } else {
    blocks.push([
      `# env ${
        tomlString(plan.env)
      }: added by \`lmi init\` from the discovery document of ${plan.issuer}`,
    ]);
  }
  if (plan.sso) blocks.push(ssoTable(plan, plan.sso.scopes));
  blocks.push([
    `[envs.${plan.env}]`,
    plan.baseUrl
      ? kv("base_url", plan.baseUrl, "the API lmi request and lmi exec call")
      : offKv("base_url", "https://api.example.com", "the API lmi request and lmi exec call"),
  ]);
  blocks.push(authTable(plan));
  const text = blocks.map((b) => b.join("\n")).join("\n\n") + "\n";
  return plan.newFile ? text : `\n${text}`;
}

/** `existing` with `part` after it: a line break added when the file does not end in one. */
export function appendTo(existing: string, part: string): string {
  return existing === "" || existing.endsWith("\n") ? existing + part : `${existing}\n${part}`;
}
