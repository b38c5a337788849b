/**
 * Config snippets and sandboxes for tests against the dev IdP, so each test states only what
 * differs: env tables for the dev IdP's clients, and their secrets in the environment.
 */
import { join } from "node:path";
import { type Sandbox, sandbox } from "./cli.ts";
import type { DevIdp } from "../../scripts/dev_idp/mod.ts";

/** The variables the env tables below read their secrets from. */
export function devSecrets(idp: DevIdp): Record<string, string> {
  return {
    SVC_SECRET: idp.clients.basic.secret,
    PW_SECRET: idp.clients.password.secret,
    PW_USER: idp.users.alice.username,
    PW_PASS: idp.users.alice.password,
  };
}

export interface EnvTableOptions {
  /** Lines for [envs.NAME] (base_url, timeout, headers…). */
  env?: string;
  /** Extra lines for [envs.NAME.auth]. */
  auth?: string;
}

/** `[envs.NAME]` using the dev IdP's client_credentials client (secret in SVC_SECRET). */
export function serviceEnv(idp: DevIdp, name: string, options: EnvTableOptions = {}): string {
  return `[envs.${name}]
${options.env ?? ""}
[envs.${name}.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.basic.id}"
client_secret_env = "SVC_SECRET"
${options.auth ?? ""}
`;
}

/** `[envs.NAME]` using the dev IdP's password-grant client and the user alice. */
export function passwordEnv(idp: DevIdp, name: string, options: EnvTableOptions = {}): string {
  return `[envs.${name}]
${options.env ?? ""}
[envs.${name}.auth]
type = "password"
issuer = "${idp.issuer}"
client_id = "${idp.clients.password.id}"
client_secret_env = "PW_SECRET"
username_env = "PW_USER"
password_env = "PW_PASS"
${options.auth ?? ""}
`;
}

/** A sandbox with the dev secrets set and `toml` as its lmi.toml. */
export async function devSandbox(
  idp: DevIdp,
  toml: string,
  extraEnv: Record<string, string> = {},
): Promise<Sandbox> {
  const box = await sandbox({ ...devSecrets(idp), ...extraEnv });
  await box.writeConfig(toml);
  return box;
}

/** RFC 7662 introspection at the dev IdP (as its basic client): is the token still active? */
export async function introspect(idp: DevIdp, token: string): Promise<boolean> {
  const res = await fetch(`${idp.issuer}/token/introspection`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${idp.clients.basic.id}:${idp.clients.basic.secret}`)}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ token }),
  });
  return (await res.json()).active === true;
}

/** `[sso]` at the dev IdP (its public client) and an env `app` of type sso calling its API. */
export function ssoAppToml(idp: DevIdp): string {
  return `[sso]
issuer = "${idp.issuer}"
client_id = "${idp.clients.public.id}"

[envs.app]
base_url = "${idp.apiUrl}"
[envs.app.auth]
type = "sso"
`;
}

/**
 * Make `box`'s `BROWSER` a script that writes the URL lmi opens to the returned file (written
 * whole: a temp file, then a rename) and appends it to `<file>.log`, so a test can tell how many
 * times a browser was opened and complete the sign-in in Chromium.
 */
export async function recordingBrowser(box: Sandbox): Promise<string> {
  const urlFile = join(box.dir, "browser-url.txt");
  const opener = join(box.dir, "open-browser.sh");
  await Deno.writeTextFile(
    opener,
    `#!/bin/sh\nprintf '%s\\n' "$1" >> "${urlFile}.log"\n` +
      `printf '%s' "$1" > "${urlFile}.tmp" && mv "${urlFile}.tmp" "${urlFile}"\n`,
  );
  await Deno.chmod(opener, 0o755);
  box.env.BROWSER = opener;
  return urlFile;
}
