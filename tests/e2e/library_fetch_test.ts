/**
 * `createClient({ fetch })` sends every IdP, JWKS and API request through the given fetch: a
 * script using the library runs with the network denied (`--deny-net`), against an IdP and an
 * API that exist only inside its recording fetch.
 */
import { join } from "node:path";
import { assertEquals } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { REPO } from "../../scripts/run_lmi.ts";

const SCRIPT = `
import { createClient } from ${JSON.stringify(join(REPO, "src", "mod.ts"))};
const seen = [];
const json = (body) => Response.json(body);
const fetch = async (input, init) => {
  const req = new Request(input, init);
  const url = new URL(req.url);
  seen.push(req.method + " " + url.pathname);
  switch (url.pathname) {
    case "/.well-known/openid-configuration":
      return json({ issuer: "https://idp.test", token_endpoint: "https://idp.test/token", jwks_uri: "https://idp.test/jwks" });
    case "/token":
      return json({ access_token: "opaque-token-from-the-fake", token_type: "Bearer", expires_in: 3600 });
    case "/v1/hello":
      return json({ auth: req.headers.get("authorization") });
    default:
      return new Response("not found", { status: 404 });
  }
};
const api = await createClient({ env: "dev", fetch });
const res = await api.fetch("/hello");
const body = await res.json();
console.log(JSON.stringify({ status: res.status, body, token: await api.token(), seen }));
`;

Deno.test("createClient({ fetch }): every request goes through the given fetch", async () => {
  await using box = await sandbox({ DEV_SECRET: "s3cret-value" });
  await box.writeConfig(`[envs.dev]
base_url = "https://api.test/v1"
[envs.dev.auth]
type = "client_credentials"
issuer = "https://idp.test"
client_id = "svc"
client_secret_env = "DEV_SECRET"
`);
  const script = join(box.dir, "script.ts");
  await Deno.writeTextFile(script, SCRIPT);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${join(REPO, "deno.json")}`,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--deny-net",
      script,
    ],
    clearEnv: true,
    env: box.env,
    cwd: box.home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(result.status, 200);
  assertEquals(result.body.auth, "Bearer opaque-token-from-the-fake");
  assertEquals(result.token, "opaque-token-from-the-fake");
  assertEquals(result.seen, [
    "GET /.well-known/openid-configuration",
    "POST /token",
    "GET /v1/hello",
  ]);
});
