/**
 * `createClient({ fetch })` sends every IdP, JWKS and API request through the given fetch: a
 * script using the library runs with the network denied (`--deny-net`), against an IdP and an
 * API that exist only inside its recording fetch.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { NEEDS_PTY } from "../helpers/pty.ts";
import { libraryScriptArgs, runDeno, sandbox } from "../helpers/cli.ts";

/** `deno run` of a library script with the network denied: only an injected fetch can answer. */
const offlineRun = (script: string) => libraryScriptArgs(script, "--deny-net");

/** src/mod.ts as a file URL: a Windows path (C:\...) is no import specifier. */
const MOD = JSON.stringify(new URL("../../src/mod.ts", import.meta.url).href);

const SCRIPT = `
import { createClient } from ${MOD};
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
  const out = await runDeno(offlineRun(script), box);
  assertEquals(out.code, 0, out.stderr);
  const result = JSON.parse(out.stdout);
  assertEquals(result.status, 200);
  assertEquals(result.body.auth, "Bearer opaque-token-from-the-fake");
  assertEquals(result.token, "opaque-token-from-the-fake");
  assertEquals(result.seen, [
    "GET /.well-known/openid-configuration",
    "POST /token",
    "GET /v1/hello",
  ]);
});

Deno.test({
  name: "the library never offers a sign-in, even in a terminal: an AuthError with the hint",
  ignore: ignoreUnless("library in a terminal", NEEDS_PTY),
  fn: async () => {
    await using box = await sandbox({ LMI_KEYRING: "file" });
    await box.writeConfig(`[sso]
issuer = "https://idp.test"
client_id = "lmi"

[envs.app]
[envs.app.auth]
type = "sso"
`);
    const script = join(box.dir, "sso.ts");
    await Deno.writeTextFile(
      script,
      `import { createClient } from ${MOD};
const api = await createClient({ env: "app", fetch: () => Promise.reject(new Error("no network")) });
try {
  await api.token();
  console.log("no error?");
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, exit: e.exitCode, hint: e.hint }));
}
`,
    );
    const line = [Deno.execPath(), ...offlineRun(script)].map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qefc", line, "/dev/null"],
      clearEnv: true,
      env: { ...box.env, TERM: "dumb" },
      cwd: box.home,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert(!text.includes("Sign in again"), text);
    const result = JSON.parse(text.trim().split("\n").at(-1)!);
    assertEquals([result.name, result.code, result.exit], ["AuthError", "SSO_REQUIRED", 4]);
    assertMatch(result.hint, /lmi login sso/);
  },
});
