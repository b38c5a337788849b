/** Shared pieces of the tests that run lmi against real third-party servers. */

/** `[envs.NAME]` for a client credentials client of `issuer`, its secret in `secretVar`. */
export function serviceEnvToml(
  name: string,
  o: { issuer: string; clientId: string; secretVar: string; scopes: string[]; extra?: string },
): string {
  return `[envs.${name}]
[envs.${name}.auth]
type = "client_credentials"
issuer = "${o.issuer}"
client_id = ${JSON.stringify(o.clientId)}
client_secret_env = "${o.secretVar}"
scopes = ${JSON.stringify(o.scopes)}
${o.extra ?? ""}
`;
}

/** A JWT's claims, unverified. */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

/** `[envs.NAME]` for a password-grant client; secrets in PW_SECRET, PW_USER and PW_PASS. */
export function passwordEnvToml(
  name: string,
  o: { issuer: string; clientId: string; scopes: string[] },
): string {
  return `[envs.${name}]
[envs.${name}.auth]
type = "password"
issuer = "${o.issuer}"
client_id = ${JSON.stringify(o.clientId)}
client_secret_env = "PW_SECRET"
username_env = "PW_USER"
password_env = "PW_PASS"
scopes = ${JSON.stringify(o.scopes)}
`;
}

/** `[sso]` for `issuer`, and an env `app` of auth type "sso". */
export function ssoToml(
  o: { issuer: string; clientId: string; scopes: string[]; secretVar?: string },
): string {
  return `[sso]
issuer = "${o.issuer}"
client_id = ${JSON.stringify(o.clientId)}
${o.secretVar ? `client_secret_env = "${o.secretVar}"` : ""}
scopes = ${JSON.stringify(o.scopes)}

[envs.app]
[envs.app.auth]
type = "sso"
`;
}

export { cacheEntry } from "./cache.ts";
