/**
 * A ready lmi config for a running dev IdP: `lmi.toml` with an env for each grant it serves (every
 * one with the protected API as its `base_url`) and `[sso]` for the browser and device sign-ins,
 * and the `.env` beside it with the secrets the toml names. `lmiConfigFiles` builds the text;
 * `writeLmiConfig` puts it in a folder without overwriting anything different.
 *
 * @module
 */
import { join } from "node:path";
import type { DevIdp } from "./types.ts";

/** What the config is built from: the parts of a `DevIdp` handle it names. */
export interface ConfigSource {
  issuer: string;
  apiUrl: string;
  clients: Pick<DevIdp["clients"], "basic" | "post" | "password" | "public" | "workload">;
  jwtClient: { id: string; privateKeyPem: string };
  federatedClient: { id: string };
  user: { username: string; password: string };
  ciTokens: { requestUrl: string; requestToken: string };
}

/** The `ConfigSource` of a running IdP. */
export function configSource(idp: DevIdp): ConfigSource {
  return {
    issuer: idp.issuer,
    apiUrl: idp.apiUrl,
    clients: idp.clients,
    jwtClient: idp.clients.jwt,
    federatedClient: idp.clients.federated,
    user: idp.users.alice,
    ciTokens: idp.ci.github,
  };
}

export interface LmiConfigFiles {
  /** `lmi.toml` */
  toml: string;
  /** `.env`: the secrets, to be written mode 0600 */
  dotenv: string;
  /** The envs the toml defines, the default first. */
  envs: string[];
}

/** The variables `.env` sets, as the toml names them. */
const VARS = {
  basicSecret: "SVC_BASIC_SECRET",
  postSecret: "SVC_POST_SECRET",
  jwtKey: "SVC_JWT_PRIVATE_KEY",
  passwordSecret: "PW_CLIENT_SECRET",
  username: "ALICE_USERNAME",
  password: "ALICE_PASSWORD",
  /** lmi reads GitHub Actions' own names for the CI token's endpoint. */
  ciUrl: "ACTIONS_ID_TOKEN_REQUEST_URL",
  ciToken: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
} as const;

/** A TOML basic string (the JSON escapes are TOML's for these ASCII values). */
const str = (s: string) => JSON.stringify(s);

/** lmi.toml and .env for the IdP `src` describes. */
export function lmiConfigFiles(src: ConfigSource): LmiConfigFiles {
  const { issuer, apiUrl, clients } = src;
  const env = (name: string, comment: string, auth: string[]) =>
    `# ${comment}
[envs.${name}]
base_url = ${str(apiUrl)}

[envs.${name}.auth]
${auth.join("\n")}
`;
  const service = (name: string, comment: string, lines: string[]) =>
    env(name, comment, [
      `type = "client_credentials"`,
      `issuer = ${str(issuer)}`,
      ...lines,
      `scopes = ["api.read"]`,
    ]);
  const workload = (name: string, comment: string, type: string, lines: string[]) =>
    env(name, comment, [
      `type = ${str(type)}`,
      `issuer = ${str(issuer)}`,
      ...lines,
      `subject_token_source = "github_actions"`,
      `subject_token_audience = ${str(issuer)}`,
      `scopes = ["api.read"]`,
    ]);
  const sections = [
    service("dev", "client credentials, the secret sent with HTTP Basic", [
      `client_id = ${str(clients.basic.id)}`,
      `client_auth = "client_secret_basic"`,
      `client_secret_env = ${str(VARS.basicSecret)}`,
    ]),
    service("post", "client credentials, the secret sent in the form", [
      `client_id = ${str(clients.post.id)}`,
      `client_auth = "client_secret_post"`,
      `client_secret_env = ${str(VARS.postSecret)}`,
    ]),
    service("jwt", "client credentials, a JWT signed with the client's key (private_key_jwt)", [
      `client_id = ${str(src.jwtClient.id)}`,
      `client_auth = "private_key_jwt"`,
      `private_key_env = ${str(VARS.jwtKey)}`,
    ]),
    env("password", "the password grant, as the user alice", [
      `type = "password"`,
      `issuer = ${str(issuer)}`,
      `client_id = ${str(clients.password.id)}`,
      `client_secret_env = ${str(VARS.passwordSecret)}`,
      `username_env = ${str(VARS.username)}`,
      `password_env = ${str(VARS.password)}`,
      `scopes = ["api.read", "api.write"]`,
    ]),
    env("sso", "the SSO session of [sso]: first lmi login sso (as alice)", [`type = "sso"`]),
    workload("exchange", "token exchange (RFC 8693) of a CI job's OIDC token", "token_exchange", [
      `client_id = ${str(clients.workload.id)}`,
    ]),
    workload("jwt-bearer", "a CI job's OIDC token as a JWT bearer grant (RFC 7523)", "jwt_bearer", [
      `client_id = ${str(clients.workload.id)}`,
    ]),
    workload(
      "federated",
      "client credentials, a CI job's OIDC token as the client's assertion",
      "client_credentials",
      [`client_id = ${str(src.federatedClient.id)}`, `client_auth = "federated_jwt"`],
    ),
  ];
  const toml =
    `# lmi's config for the development IdP (deno task dev-idp), written by its --write-config.
# The IdP: ${issuer}; its demo API, every env's base_url: ${apiUrl}.
# Secrets are not in this file: each *_env key names a variable, which .env beside it sets.
# The envs exchange, jwt-bearer and federated get a CI job's OIDC token from the dev IdP's
# GitHub Actions-style endpoint (its address is in .env too).
default_env = "dev"

# Browser and device sign-in: lmi login sso [--device]
[sso]
issuer = ${str(issuer)}
client_id = ${str(clients.public.id)}

${sections.join("\n")}`;
  const envs = [...toml.matchAll(/^\[envs\.([\w-]+)\]$/gm)].map((m) => m[1]!);
  const pem = src.jwtClient.privateKeyPem.trim().replace(/\n/g, "\\n");
  const dotenv = `# The development IdP's secrets, for the lmi.toml beside this file (written by
# deno task dev-idp --write-config). Fixed values: the IdP only ever runs on 127.0.0.1.
${VARS.basicSecret}=${clients.basic.secret}
${VARS.postSecret}=${clients.post.secret}
${VARS.jwtKey}="${pem}\\n"
${VARS.passwordSecret}=${clients.password.secret}
${VARS.username}=${src.user.username}
${VARS.password}=${src.user.password}
# Where the envs exchange, jwt-bearer and federated get a CI job's OIDC token, as GitHub Actions
# tells a job: the dev IdP's CI issuer.
${VARS.ciUrl}=${src.ciTokens.requestUrl}
${VARS.ciToken}=${src.ciTokens.requestToken}
`;
  return { toml, dotenv, envs };
}

/** A file in the way: it exists and holds something else. */
export class FileExistsError extends Error {
  override name = "FileExistsError";
  constructor(readonly path: string) {
    super(`${path} exists and differs from what would be written`);
  }
}

export interface WrittenConfig {
  /** The absolute paths of the two files. */
  toml: string;
  dotenv: string;
  /** False when both were there already, exactly as they would have been written. */
  changed: boolean;
}

/**
 * Writes `files` as `dir`/lmi.toml and `dir`/.env (mode 0600), making `dir` when it is missing.
 * A file already there with the same text is left as it is; one with other text is never
 * overwritten: FileExistsError, and neither file is written.
 */
export async function writeLmiConfig(dir: string, files: LmiConfigFiles): Promise<WrittenConfig> {
  const toml = join(dir, "lmi.toml");
  const dotenv = join(dir, ".env");
  const wanted: Array<[path: string, text: string, mode: number]> = [
    [toml, files.toml, 0o644],
    [dotenv, files.dotenv, 0o600],
  ];
  const missing: typeof wanted = [];
  for (const file of wanted) {
    const existing = await readIfExists(file[0]);
    if (existing === undefined) missing.push(file);
    else if (existing !== file[1]) throw new FileExistsError(file[0]);
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const [path, text, mode] of missing) {
    await Deno.writeTextFile(path, text, { createNew: true, mode });
  }
  return { toml, dotenv, changed: missing.length > 0 };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
