/**
 * What `deno task dev-idp` prints once it listens, for a person: the addresses, the API's
 * endpoints, the user and the clients, and what to do next. (`--json` prints the handle instead.)
 *
 * @module
 */
import { shellWord } from "../../src/ui/text.ts";
import type { WrittenConfig } from "./lmi_config.ts";
import type { DevIdp } from "./types.ts";

/** The first line, printed once every server listens. */
export const READY = "lmi development IdP: ready";

/** The protected API's routes, one line each (api_routes.ts). */
export const API_ROUTES: Array<[method: string, route: string, what: string]> = [
  ["GET", "/public", 'no token needed: {"ok":true}'],
  ["GET", "/whoami", "the token's sub, client_id, scope and aud"],
  ["ANY", "/echo", "the request back: method, path, query, headers, body"],
  ["GET", "/status/CODE", "answers with that HTTP status (?retry_after=S adds Retry-After)"],
  ["GET", "/slow?ms=N", "answers after N milliseconds"],
  ["GET", "/bytes/N", "N bytes of data"],
  ["GET", "/redirect?to=PATH", "a 307 redirect to PATH on the API (default /whoami)"],
  [
    "GET",
    "/stepup?acr=phr&max_age=S",
    "a step-up challenge (RFC 9470) unless the sign-in meets it",
  ],
  ["GET", "/scoped?scope=S", "an insufficient_scope challenge unless the token has scope S"],
];

export interface SummaryOptions {
  /** The config written by --write-config, when it was. */
  written?: WrittenConfig & { dir: string; envs: string[] };
  /** This clone's deno.json, whose `lmi` task runs lmi for people without lmi installed. */
  denoJson: string;
}

/** The text for a person, ending with a newline. */
export function summary(idp: DevIdp, options: SummaryOptions): string {
  const { clients, users } = idp;
  const { written } = options;
  const jwtKey = written ? "key SVC_JWT_PRIVATE_KEY in .env" : "key: see --json";
  const secret = (client: { secret: string }) => `secret ${client.secret}`;
  const lines = [
    `${READY} (Ctrl-C stops it)`,
    "",
    ...table([
      ["  Issuer", idp.issuer, "OpenID Connect: discovery, sign-in pages, tokens"],
      ["  API", idp.apiUrl, "a demo API that accepts this IdP's access tokens"],
      ["  CI issuer", idp.ci.issuer, "GitHub Actions-style OIDC tokens for CI jobs"],
    ]),
    "",
    "API endpoints (all but /public need a bearer token from this IdP):",
    ...table(API_ROUTES.map(([method, route, what]) => [`  ${method}`, route, what])),
    "",
    "User, for the browser and device sign-in and the password grant:",
    `  ${users.alice.username}, password ${users.alice.password}`,
    "",
    "Clients (scopes api.read and api.write):",
    ...table([
      [clients.basic.id, "client_credentials", `client_secret_basic, ${secret(clients.basic)}`],
      [clients.post.id, "client_credentials", `client_secret_post, ${secret(clients.post)}`],
      [clients.jwt.id, "client_credentials", `private_key_jwt, ${jwtKey}`],
      [
        clients.password.id,
        "password, refresh_token",
        `client_secret_basic, ${secret(clients.password)}`,
      ],
      [clients.public.id, "browser and device sign-in", "public (PKCE)"],
      [clients.workload.id, "token exchange, jwt bearer", "public; the grant is a CI token"],
      [clients.federated.id, "client_credentials", "federated_jwt: a CI token as its assertion"],
    ].map(([id, ...rest]) => [`  ${id}`, ...rest])),
    "",
    ...(written ? nextSteps(written, options.denoJson) : [
      "To try it with lmi: start it with --write-config DIR, which writes DIR/lmi.toml and",
      "DIR/.env for these clients (deno task dev-idp --help).",
    ]),
  ];
  return lines.map((line) => line.trimEnd()).join("\n") + "\n";
}

function nextSteps(written: NonNullable<SummaryOptions["written"]>, denoJson: string): string[] {
  const lmi = `deno task -q --config ${shellWord(denoJson)} lmi`;
  const [first, ...others] = written.envs;
  const verb = written.changed ? "Wrote" : "Kept (as written before)";
  return [
    `${verb} a config for lmi: ${written.toml}, its secrets in ${written.dotenv}`,
    `  envs: ${first} (the default), ${others.join(", ")}`,
    "",
    "Next, in another terminal:",
    ...table([
      ["  cd " + shellWord(written.dir), ""],
      ["  lmi trust", "# once: lmi uses a found lmi.toml only after you trust it"],
      ["  lmi auth token", `# a token for env ${first} (client credentials)`],
      ["  lmi request /whoami", "# the API, called with that token"],
      ["  lmi login sso", "# sign in as alice in the browser; then lmi request /whoami -e sso"],
    ]),
    `No lmi installed? From this clone: alias lmi=${shellWord(lmi)}`,
  ];
}

/** Rows with their columns padded to the widest cell of each (the last column unpadded). */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2)).join("")
  );
}
