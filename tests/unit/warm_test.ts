/**
 * The warm `lmi auth token` (src/cli/warm.ts) against the full program (src/cli/main.ts), in
 * process: whenever it answers, its exit code, stdout and stderr are the full program's; when it
 * declines, it has written nothing and changed nothing in the token cache.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { loadJose } from "../../src/deps.ts";
import { main } from "../../src/cli/main.ts";
import { warmMain } from "../../src/cli/warm.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { dataDir } from "../../src/config/paths.ts";
import { entryMac } from "../../src/config/parsed_cache.ts";
import { signatureMemo } from "../../src/tokens/signature_memo.ts";
import { KEY_FILE } from "../../src/util/cache_key.ts";

const jose = await loadJose();
const NOW = Date.parse("2026-01-01T00:00:00Z");
const ISSUER = "https://idp.example";
const API = "https://api.example";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface IdpOptions {
  /** The tokens' lifetime, seconds (default 3600). */
  expiresIn?: number;
  /** The issuer discovery and the tokens give (default: ISSUER, as the config says). */
  issuer?: string;
}

/** A fake IdP issuing ES256 JWT access tokens (discovery, JWKS, token endpoint). */
async function jwtIdp(options: IdpOptions = {}) {
  const { expiresIn = 3600, issuer = ISSUER } = options;
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "ES256" };
  const state = { tokenRequests: 0, jwksRequests: 0 };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(new Request(input, init).url);
    if (url.pathname === "/.well-known/openid-configuration") {
      return Response.json({
        issuer,
        token_endpoint: `${ISSUER}/token`,
        jwks_uri: `${ISSUER}/jwks`,
      });
    }
    if (url.pathname === "/jwks") {
      state.jwksRequests++;
      return Response.json({ keys: [jwk] });
    }
    if (url.pathname === "/token") {
      state.tokenRequests++;
      const iat = Math.floor(NOW / 1000);
      const token = await new jose.SignJWT({ sub: "svc", aud: `${API}/`, n: state.tokenRequests })
        .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
        .setIssuer(issuer).setIssuedAt(iat).setExpirationTime(iat + expiresIn)
        .sign(privateKey);
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: expiresIn });
    }
    return new Response("not found", { status: 404 });
  };
  return { state, fetch };
}

const CONFIG = `default_env = "dev"
[envs.dev]
base_url = "${API}"
[envs.dev.auth]
type = "client_credentials"
issuer = "${ISSUER}"
client_id = "svc"
client_secret_env = "SECRET"
expected_audience = "${API}/"

[envs.opaque.auth]
type = "client_credentials"
token_url = "${ISSUER}/opaque-token"
client_id = "svc"
client_secret_env = "SECRET"

[envs.needs-sso]
requires_sso = true
[envs.needs-sso.auth]
type = "client_credentials"
issuer = "${ISSUER}"
client_id = "svc"
client_secret_env = "SECRET"

[envs.cmd.auth]
type = "command"
command = ["echo", "t"]
`;

async function setup(options: IdpOptions = {}) {
  const dir = await Deno.makeTempDir({ prefix: "lmi-warm-" });
  await Deno.writeTextFile(join(dir, "lmi.toml"), CONFIG);
  const idp = await jwtIdp(options);
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = new Request(input, init).url;
    if (url === `${ISSUER}/opaque-token`) {
      return Promise.resolve(Response.json({
        access_token: "opaque-1",
        token_type: "Bearer",
        expires_in: 3600,
      }));
    }
    return idp.fetch(input, init);
  };
  const env: Record<string, string> = {
    HOME: join(dir, "home"),
    LMI_CACHE_DIR: join(dir, "cache"),
    LMI_TRUSTED_PATHS: dir,
    LMI_KEYRING: "file",
    SECRET: "s3cret",
  };
  const s = {
    dir,
    idp,
    env,
    clock: NOW,
    tokens: join(dir, "cache", "lmi", "tokens"),
    deps: (extra: Record<string, string> = {}) =>
      fakeDeps({ env: { ...env, ...extra }, cwd: dir, fetch, now: s.clock }),
    async full(args: string[], extra?: Record<string, string>): Promise<Run> {
      const deps = s.deps(extra);
      const code = await main(args, deps);
      return { code, stdout: deps.stdout.text(), stderr: deps.stderr.text() };
    },
    async warm(args: string[], extra?: Record<string, string>): Promise<Run | undefined> {
      const deps = s.deps(extra);
      const code = await warmMain(args, deps);
      const out = { stdout: deps.stdout.text(), stderr: deps.stderr.text() };
      if (code === undefined) {
        assertEquals(out, { stdout: "", stderr: "" }, "a declining run writes nothing");
        return undefined;
      }
      return { code, ...out };
    },
    /** The token folder's files and their contents. */
    async snapshot(): Promise<Record<string, string>> {
      const files: Record<string, string> = {};
      for await (const e of Deno.readDir(s.tokens)) {
        files[e.name] = await Deno.readTextFile(join(s.tokens, e.name));
      }
      return files;
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
  return s;
}

Deno.test("warm auth token answers as the full program does", async (t) => {
  await using s = await setup();
  assertEquals((await s.full(["login"])).code, 0);
  assertEquals((await s.full(["login", "--env", "opaque"])).code, 0);
  const requests = s.idp.state.tokenRequests;

  const served: Array<[string[], Record<string, string>?]> = [
    [["auth", "token"]],
    [["token"]],
    [["auth", "token", "--format", "header"]],
    [["auth", "token", "-f", "json"]],
    [["--json", "auth", "token"]],
    [["auth", "token", "--format", "env"]],
    [["auth", "token", "--format", "exec-credential"]],
    [["auth", "token", "--format", "exec-credential"], {
      KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v1beta1"}',
    }],
    [["auth", "token", "--format=raw", "--min-ttl", "10m"]],
    [["-e", "dev", "auth", "token", "--no-color"]],
    [["auth", "token", "--env=opaque"]],
    [["auth", "token"], { LMI_ENV: "opaque" }],
  ];
  for (const [args, extra] of served) {
    await t.step(`served: ${args.join(" ")} ${extra ? JSON.stringify(extra) : ""}`, async () => {
      const warm = await s.warm(args, extra);
      assert(warm, "the warm path answered");
      assertEquals(warm, await s.full(args, extra));
      assertEquals(warm.code, 0);
    });
  }
  assertEquals(s.idp.state.tokenRequests, requests, "no token was requested");
});

Deno.test("warm auth token declines, writing and changing nothing, when there is more to do", async (t) => {
  await using s = await setup();
  assertEquals((await s.full(["login"])).code, 0);
  await Deno.writeTextFile(join(s.dir, "github_env"), "");

  const declined: Array<[string, string[], Record<string, string>?]> = [
    ["another command", ["auth", "status"]],
    ["no command", []],
    ["--version", ["--version"]],
    ["help", ["auth", "token", "--help"]],
    ["-v", ["auth", "token", "-v"]],
    ["-vv before the command", ["-vv", "auth", "token"]],
    ["--force", ["auth", "token", "--force"]],
    ["--format github", ["auth", "token", "--format", "github"], {
      GITHUB_ENV: join(s.dir, "github_env"),
    }],
    ["an unknown format", ["auth", "token", "--format", "yaml"]],
    ["an unknown flag", ["auth", "token", "--nope"]],
    ["an unknown env", ["auth", "token", "--env", "nope"]],
    ["longer than the token lives", ["auth", "token", "--min-ttl", "2h"]],
    ["an env that needs SSO", ["auth", "token", "--env", "needs-sso"]],
    ["a command token source", ["auth", "token", "--env", "cmd"]],
    ["no cached token for the env", ["auth", "token", "--env", "opaque"]],
    ["no cache folder", ["auth", "token"], { LMI_CACHE_DIR: "", HOME: "" }],
    ["an invalid env name", ["auth", "token"], { LMI_ENV: "Not Valid" }],
  ];
  for (const [name, args, extra] of declined) {
    await t.step(name, async () => {
      const before = await s.snapshot();
      assertEquals(await s.warm(args, extra), undefined);
      assertEquals(await s.snapshot(), before);
    });
  }
  await t.step("an expired token (the clock moved on)", async () => {
    s.clock = NOW + 3600_000;
    assertEquals(await s.warm(["auth", "token"]), undefined);
    s.clock = NOW;
  });
  await t.step("keys to fetch: the JWKS cache is gone", async () => {
    const jwks = join(s.tokens, "dev.jwks.json");
    const text = await Deno.readTextFile(jwks);
    await Deno.remove(jwks);
    assertEquals(await s.warm(["auth", "token"]), undefined);
    await Deno.writeTextFile(jwks, text, { mode: 0o600 });
    assert(await s.warm(["auth", "token"]), "served again");
  });
  if (Deno.build.os !== "windows") {
    await t.step("a warning to give: the JWKS cache is readable by others", async () => {
      const jwks = join(s.tokens, "dev.jwks.json");
      await Deno.chmod(jwks, 0o644);
      assertEquals(await s.warm(["auth", "token"]), undefined);
      const full = await s.full(["auth", "token"]);
      assert(full.stderr.includes("lmi: warning:"), full.stderr);
    });
  }
});

Deno.test("warm auth token: a signature memo edited or made under another key is checked by jose", async (t) => {
  await using s = await setup();
  assertEquals((await s.full(["login"])).code, 0);
  const file = join(s.tokens, "dev.json");
  const good = JSON.parse(await Deno.readTextFile(file)).entries[0].signature_memo;
  assert(good, "the new token's memo is cached");
  const another = crypto.getRandomValues(new Uint8Array(32));
  const foreign = signatureMemo("x", undefined, [], another);
  for (
    const [name, memo] of [["edited", "0".repeat(64)], ["another user's key", foreign]] as const
  ) {
    await t.step(name, async () => {
      const data = JSON.parse(await Deno.readTextFile(file));
      data.entries[0].signature_memo = memo;
      await Deno.writeTextFile(file, JSON.stringify(data), { mode: 0o600 });
      const warm = await s.warm(["auth", "token"]);
      assert(warm, "jose verified it");
      assertEquals(
        await s.snapshot().then((f) => JSON.parse(f["dev.json"]!).entries[0].signature_memo),
        memo,
        "the warm path writes nothing",
      );
      assertEquals(warm, await s.full(["auth", "token"]));
      const rebuilt = JSON.parse(await Deno.readTextFile(file)).entries[0].signature_memo;
      assertEquals(rebuilt, good, "the full program stored the memo again");
    });
  }
  assertEquals(s.idp.state.tokenRequests, 1);
});

Deno.test("warm auth token: without the cache key it makes none; the full program does", async (t) => {
  await using s = await setup();
  assertEquals((await s.full(["login"])).code, 0);
  const keyFile = join(dataDir(s.deps())!, KEY_FILE);
  const parsed = join(s.dir, "cache", "lmi", "config", "parsed.json");
  const files = async () => [await s.snapshot(), await Deno.readTextFile(parsed)];
  const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
  assert(await exists(keyFile), "the full program made the key");
  await Deno.remove(keyFile);

  await t.step(
    "the warm path: jose and the TOML parser (from the sources), nothing written",
    async () => {
      const before = await files();
      const warm = await s.warm(["auth", "token"]);
      assertEquals(await exists(keyFile), false, "no key made");
      assertEquals(await files(), before, "nothing written");
      assertEquals(warm, await s.full(["auth", "token"]));
    },
  );
  await t.step(
    "the full program made a new key and put the parse and the memo under it",
    async () => {
      assert(await exists(keyFile));
      const key = s.deps().cacheKey.read()!;
      const tokens = await s.snapshot();
      const { access_token, signature_memo } = JSON.parse(tokens["dev.json"]!).entries[0];
      const jwks = JSON.parse(tokens["dev.jwks.json"]!).issuers[0].keys;
      assertEquals(signature_memo, signatureMemo(access_token, "k1", jwks, key));
      const entry = JSON.parse(await Deno.readTextFile(parsed)).entries[0];
      assertEquals(entry.mac, entryMac(key, entry));
    },
  );
  assertEquals(s.idp.state.tokenRequests, 1);
});

Deno.test("warm auth token: a 30 s token from an issuer spelled with a slash, served for 15 s", async (t) => {
  // The config says https://idp.example; discovery and the tokens say https://idp.example/.
  await using s = await setup({ expiresIn: 30, issuer: `${ISSUER}/` });
  assertEquals((await s.full(["login"])).code, 0);
  await t.step("14 s on: served, as the full program serves it", async () => {
    s.clock = NOW + 14_000;
    const warm = await s.warm(["auth", "token"]);
    assert(warm, "the warm path answered");
    assertEquals(warm, await s.full(["auth", "token"]));
  });
  await t.step("15 s on: half its lifetime is left, the full program renews it", async () => {
    s.clock = NOW + 15_000;
    assertEquals(await s.warm(["auth", "token"]), undefined);
  });
  assertEquals(s.idp.state.tokenRequests, 1);
});
