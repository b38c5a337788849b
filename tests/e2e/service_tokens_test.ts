/**
 * Service tokens end to end: the real lmi program (spawned with deno.json's permission set)
 * against the real development IdP (oidc-provider, in this process).
 */
import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { ignoreUnless, POSIX_MODES } from "../helpers/components.ts";
import { cacheEntries, cacheEntry, tokenFile, writeCacheEntries } from "../helpers/cache.ts";
import { devSandbox, introspect, passwordEnv, serviceEnv } from "../helpers/dev_world.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { dataDir } from "../../src/config/paths.ts";
import { base64urlBytes, signatureMemo } from "../../src/tokens/signature_memo.ts";
import { userCacheKey } from "../../src/util/cache_key.ts";

function ccConfig(idp: DevIdp, extra = "", env = "dev"): string {
  return `default_env = "${env}"\n` +
    serviceEnv(idp, env, {
      env: `base_url = "${idp.apiUrl}"`,
      auth: `scopes = ["api.read"]\n${extra}`,
    });
}

function pwConfig(idp: DevIdp, extra = ""): string {
  return passwordEnv(idp, "pw", { auth: `scopes = ["api.read"]\n${extra}` });
}

const world = devSandbox;

function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split(".")[1]!;
  return JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
    ),
  );
}

Deno.test("service tokens against the dev IdP", async (t) => {
  await using idp = await startDevIdp();

  await t.step(
    "20 parallel `auth token` on a cold cache make exactly one token request",
    async () => {
      await using box = await world(idp, ccConfig(idp));
      idp.stats.reset();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => box.run(["auth", "token"])),
      );
      for (const r of results) assertEquals(r.code, 0, r.stderr);
      const tokens = new Set(results.map((r) => r.stdout.trim()));
      assertEquals(tokens.size, 1);
      assertEquals(idp.stats.tokenRequests, 1);
      const claims = decodeJwt([...tokens][0]!);
      assertEquals(claims.iss, idp.issuer);
    },
  );

  await t.step(
    "the cache: 0700 folder, 0600 file, no secret inside, reused when warm",
    async () => {
      await using box = await world(idp, ccConfig(idp) + pwConfig(idp));
      const first = await box.run(["auth", "token"]);
      const pw = await box.run(["auth", "token", "--env", "pw"]);
      assertEquals([first.code, pw.code], [0, 0], first.stderr + pw.stderr);
      idp.stats.reset();
      const again = await box.run(["auth", "token"]);
      assertEquals(again.stdout, first.stdout);
      assertEquals(idp.stats.tokenRequests, 0);
      const dir = join(box.cacheDir, "lmi", "tokens");
      const modes = !ignoreUnless("the cache's 0700 folder and 0600 files", POSIX_MODES);
      if (modes) assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
      const userKey = userCacheKey(dataDir({ env: (n) => box.env[n], os: Deno.build.os })).read();
      for (const env of ["dev", "pw"]) {
        const file = tokenFile(box, env);
        if (modes) assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
        const text = await Deno.readTextFile(file);
        for (
          const secret of [
            idp.clients.basic.secret,
            idp.clients.password.secret,
            idp.users.alice.password,
          ]
        ) {
          assertNotIncludes(text, secret);
        }
        const doc = JSON.parse(text);
        assertEquals([doc.version, doc.entries.length], [2, 1]);
        const data = doc.entries[0];
        assertEquals(
          Object.keys(data).sort().filter((k) => !["refresh_token", "scope"].includes(k)),
          [
            "access_token",
            "client_auth",
            "expires_at",
            "fingerprint",
            "obtained_at",
            "signature_memo",
            "token_type",
            "verified",
            "version",
          ],
        );
        const jwks = JSON.parse(await Deno.readTextFile(join(dir, `${env}.jwks.json`)));
        const [header] = data.access_token.split(".");
        const { kid } = JSON.parse(new TextDecoder().decode(base64urlBytes(header)));
        assertEquals(
          data.signature_memo,
          signatureMemo(data.access_token, kid, jwks.issuers[0].keys, userKey!),
          "the memo: an HMAC of the token and its keys under the user's cache key",
        );
      }
      assert(
        cacheEntry(box, "pw").refresh_token,
        "password grant stores its refresh token",
      );
    },
  );

  await t.step(
    "refresh_margin is at most half the token's lifetime; --min-ttl and --force renew",
    async () => {
      await using box = await world(idp, ccConfig(idp));
      const first = (await box.run(["auth", "token"])).stdout;
      idp.stats.reset();
      // A 1 h token with a 2 h margin: renewed when 30 min are left, not now.
      await box.writeConfig(ccConfig(idp, 'refresh_margin = "2h"'));
      const kept = await box.run(["auth", "token", "-v"]);
      assertEquals([kept.code, kept.stdout], [0, first], kept.stderr);
      assertMatch(
        kept.stderr,
        /the token for env "dev" was issued for \S+, less than twice refresh_margin \(2h00m\): it is renewed when \S+ are left, half its lifetime/,
      );
      assertEquals(idp.stats.tokenRequests, 0);
      await box.writeConfig(ccConfig(idp));
      const renewed = await box.run(["auth", "token", "--min-ttl", "2h"]);
      assertEquals(renewed.code, 0, renewed.stderr);
      assertNotEquals(renewed.stdout, first);
      assertEquals(idp.stats.tokenRequests, 1);
      assertEquals((await box.run(["auth", "token"])).stdout, renewed.stdout);
      const before = idp.stats.tokenRequests;
      await box.run(["auth", "token", "--force"]);
      assertEquals(idp.stats.tokenRequests, before + 1);
    },
  );

  await t.step("a changed scope in the config misses the cache", async () => {
    await using box = await world(idp, ccConfig(idp));
    const first = (await box.run(["auth", "token"])).stdout;
    await box.writeConfig(ccConfig(idp).replace('["api.read"]', '["api.read", "api.write"]'));
    idp.stats.reset();
    const second = await box.run(["auth", "token"]);
    assertEquals(idp.stats.tokenRequests, 1);
    assertNotEquals(second.stdout, first);
    assertEquals((decodeJwt(second.stdout.trim())).scope, "api.read api.write");
  });

  await t.step(
    "password grant: the refresh token is used when the token needs renewing",
    async () => {
      await using box = await world(idp, pwConfig(idp));
      const first = await box.run(["auth", "token", "-e", "pw"]);
      assertEquals(first.code, 0, first.stderr);
      assertEquals((decodeJwt(first.stdout.trim())).sub, idp.users.alice.sub);
      const rt1 = cacheEntry(box, "pw").refresh_token;
      idp.stats.reset();
      const renewed = await box.run(["auth", "token", "-e", "pw", "--min-ttl", "2h", "-v"]);
      assertEquals(renewed.code, 0, renewed.stderr);
      assertEquals(idp.stats.byGrant, { refresh_token: 1 });
      const rt2 = cacheEntry(box, "pw").refresh_token;
      assertNotEquals(rt2, rt1, "the rotated refresh token is saved");
    },
  );

  await t.step("a cached JWT with an altered signature is discarded and re-acquired", async () => {
    await using box = await world(idp, ccConfig(idp));
    await box.run(["auth", "token"]);
    const data = cacheEntry(box, "dev");
    const [h, p, sig] = (data.access_token as string).split(".") as [string, string, string];
    const flipped = sig[5] === "A" ? "B" : "A";
    data.access_token = `${h}.${p}.${sig.slice(0, 5)}${flipped}${sig.slice(6)}`;
    await writeCacheEntries(box, "dev", [data]);
    idp.stats.reset();
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertNotEquals(r.stdout.trim(), data.access_token);
    assertMatch(r.stderr, /discarding the cached token .*signature/);
    assertEquals(idp.stats.tokenRequests, 1);
  });

  await t.step("a corrupt cache file is a miss with a warning, then repaired", async () => {
    await using box = await world(idp, ccConfig(idp));
    await box.run(["auth", "token"]);
    await Deno.writeTextFile(tokenFile(box, "dev"), '{"version":1,"access_tok', { mode: 0o600 });
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /warning: ignoring a corrupt token cache file/);
    assertEquals(cacheEntry(box, "dev").access_token, r.stdout.trim());
  });

  await t.step("a cache from another config (fingerprint) is a miss", async () => {
    await using box = await world(idp, ccConfig(idp));
    await box.run(["auth", "token"]);
    const data = cacheEntry(box, "dev");
    data.fingerprint = "sha256:0000";
    await writeCacheEntries(box, "dev", [data]);
    idp.stats.reset();
    assertEquals((await box.run(["auth", "token"])).code, 0);
    assertEquals(idp.stats.tokenRequests, 1);
  });

  await t.step(
    "two projects with an env of the same name keep their own tokens; logout clears both",
    async () => {
      await using box = await world(idp, ccConfig(idp));
      // project B: another folder, another lmi.toml, the same env name with another scope
      const projectB = join(box.dir, "project-b");
      await Deno.mkdir(projectB);
      await Deno.writeTextFile(
        join(projectB, "lmi.toml"),
        ccConfig(idp).replace('scopes = ["api.read"]', 'scopes = ["api.read", "api.write"]'),
      );
      const inB = { cwd: projectB };
      idp.stats.reset();
      const a1 = await box.run(["auth", "token"]);
      const b1 = await box.run(["auth", "token"], inB);
      assertEquals([a1.code, b1.code], [0, 0], a1.stderr + b1.stderr);
      const a2 = await box.run(["auth", "token"]);
      const b2 = await box.run(["auth", "token"], inB);
      assertEquals([a2.stdout, b2.stdout], [a1.stdout, b1.stdout], "each project's own token");
      assertEquals(idp.stats.tokenRequests, 2, "no eviction: one request per project");
      assertEquals(cacheEntries(box, "dev").length, 2);
      // auth status shows the entry of the config in use
      const stA = JSON.parse((await box.run(["auth", "status", "--json", "-e", "dev"])).stdout);
      const stB = JSON.parse(
        (await box.run(["auth", "status", "--json", "-e", "dev"], inB)).stdout,
      );
      assertEquals([stA.envs[0].token.scope, stB.envs[0].token.scope], [
        "api.read",
        "api.read api.write",
      ]);
      const out = await box.run(["logout", "--env", "dev"]);
      assertEquals(out.code, 0, out.stderr);
      assertEquals(await Deno.stat(tokenFile(box, "dev")).catch(() => undefined), undefined);
      idp.stats.reset();
      assertEquals((await box.run(["auth", "token"], inB)).code, 0);
      assertEquals(idp.stats.tokenRequests, 1, "project B's token went too");
    },
  );

  await t.step(
    "a cache folder that cannot be written: the token is still printed, with a warning",
    async () => {
      await using box = await world(idp, ccConfig(idp));
      const blocker = join(box.dir, "not-a-dir");
      await Deno.writeTextFile(blocker, "x");
      const r = await box.run(["auth", "token"], { env: { LMI_CACHE_DIR: blocker } });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split(".").length, 3);
      assertMatch(r.stderr, /warning: cannot use the token cache folder/);
    },
  );

  await t.step("client_secret_post, RFC 8414 discovery, explicit token_url", async () => {
    await using oauthOnly = await startDevIdp({ discovery: "oauth" });
    const toml = `[envs.post.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.post.id}"
client_secret_env = "POST_SECRET"
client_auth = "client_secret_post"
[envs.rfc8414.auth]
type = "client_credentials"
issuer = "${oauthOnly.issuer}"
client_id = "${oauthOnly.clients.basic.id}"
client_secret_env = "OAUTH_SECRET"
[envs.direct.auth]
type = "client_credentials"
token_url = "${idp.tokenUrl}"
client_id = "${idp.clients.basic.id}"
client_secret_env = "SVC_SECRET"
`;
    await using box = await world(idp, toml);
    const env = {
      POST_SECRET: idp.clients.post.secret,
      OAUTH_SECRET: oauthOnly.clients.basic.secret,
    };
    for (const name of ["post", "rfc8414", "direct"]) {
      const r = await box.run(["auth", "token", "-e", name], { env });
      assertEquals(r.code, 0, `${name}: ${r.stderr}`);
      assert(r.stdout.trim().length > 20);
    }
  });

  await t.step("audience, resource and extra_params reach the token request", async () => {
    await using box = await world(
      idp,
      ccConfig(
        idp,
        `audience = "${idp.resource}"\nresource = "${idp.resource}"\nextra_params = { tenant = "acme" }`,
      ),
    );
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((decodeJwt(r.stdout.trim())).aud, idp.resource);
  });

  await t.step("output formats", async () => {
    await using box = await world(idp, ccConfig(idp));
    const raw = (await box.run(["auth", "token"])).stdout.trim();
    assertEquals(
      (await box.run(["token", "--format", "header"])).stdout,
      `Authorization: Bearer ${raw}\n`,
    );
    const json = JSON.parse((await box.run(["auth", "token", "--json"])).stdout);
    assertEquals([json.access_token, json.token_type, json.env], [raw, "Bearer", "dev"]);
    const exec = JSON.parse(
      (await box.run(["auth", "token", "--format", "exec-credential"])).stdout,
    );
    assertEquals([exec.kind, exec.status.token], ["ExecCredential", raw]);
    assertMatch(exec.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assertStringIncludes(
      (await box.run(["auth", "token", "--format", "env"])).stdout,
      `export LMI_TOKEN='${raw}'`,
    );
  });

  await t.step("login, auth status, env list, logout", async () => {
    await using box = await world(idp, ccConfig(idp) + pwConfig(idp));
    const none = await box.run(["auth", "status", "--env", "dev"]);
    assertEquals(none.code, 1);
    assertMatch(none.stdout, /env dev \(client_credentials\): no token cached/);
    const login = await box.run(["login"]);
    assertEquals(login.code, 0, login.stderr);
    assertMatch(login.stderr, /Logged in to env "dev"/);
    assertEquals(login.stdout, "");
    const status = await box.run(["auth", "status", "--env", "dev", "--json"]);
    assertEquals(status.code, 0, status.stderr);
    const doc = JSON.parse(status.stdout);
    assertEquals(doc.envs[0].token.state, "valid");
    assertEquals(doc.envs[0].token.verified, true);
    const list = await box.run(["env", "list"]);
    assertMatch(list.stdout, /\* +dev +client_credentials +http:\/\/127\.0\.0\.1:\d+ +valid/);
    assertMatch(list.stdout, /pw +password .* no token cached/);
    const out = await box.run(["logout"]);
    assertEquals(out.code, 0);
    assertMatch(out.stderr, /Removed the cached token of env "dev"/);
    assertEquals((await box.run(["auth", "status", "-e", "dev"])).code, 1);
    await box.run(["login", "-e", "pw"]);
    await box.run(["login", "-e", "dev"]);
    assertMatch(
      (await box.run(["logout", "--all"])).stderr,
      /Removed cached tokens of "dev", "pw"/,
    );
  });

  await t.step("logout revokes the tokens at the IdP (RFC 7009), then deletes them", async () => {
    await using box = await world(idp, ccConfig(idp) + pwConfig(idp));
    const pw = await box.run(["auth", "token", "-e", "pw"]);
    assertEquals(pw.code, 0, pw.stderr);
    const refresh = cacheEntry(box, "pw").refresh_token as string;
    const useRefresh = async () => {
      const res = await fetch(`${idp.issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: refresh,
          client_id: idp.clients.password.id,
          client_secret: idp.clients.password.secret,
        }),
      });
      await res.body?.cancel();
      return res.status;
    };
    assertEquals(await introspect(idp, refresh), true, "active before logout");
    const out = await box.run(["logout", "--env", "pw", "-v"]);
    assertEquals(out.code, 0, out.stderr);
    // Its refresh token is revoked; its access token is a JWT, which the IdP cannot revoke.
    assertMatch(out.stderr, /revoked env "pw"'s refresh token at the IdP/);
    assertMatch(out.stderr, /env "pw"'s access token stays valid at the IdP until it expires/);
    assertEquals(await introspect(idp, refresh), false, "revoked, says introspection");
    assertEquals(await useRefresh(), 400, "and the IdP refuses it");
    assertEquals((await box.run(["auth", "token"])).code, 0);
    const all = await box.run(["logout", "--all", "-v"]);
    assertMatch(all.stderr, /env "dev"'s access token stays valid at the IdP until it expires/);
    assertEquals(/revoked env "dev"/.test(all.stderr), false, "a JWT alone: nothing revoked");
  });

  await t.step("logout with the IdP gone: deleted here, with a warning", async () => {
    const gone = await startDevIdp();
    await using box = await world(gone, ccConfig(gone));
    assertEquals((await box.run(["auth", "token"])).code, 0);
    await gone[Symbol.asyncDispose]();
    const out = await box.run(["logout", "--env", "dev"]);
    assertEquals(out.code, 0, out.stderr);
    assertMatch(
      out.stderr,
      /warning: could not revoke env "dev"'s tokens at the IdP \(.*\); they are deleted here/,
    );
    assertMatch(out.stderr, /Removed the cached token of env "dev"/);
    assertEquals(await Deno.stat(tokenFile(box, "dev")).catch(() => undefined), undefined);
  });

  await t.step("--format github: masked, and LMI_TOKEN / token for later steps", async () => {
    await using box = await world(idp, ccConfig(idp));
    const none = await box.run(["auth", "token", "--format", "github"]);
    assertEquals(none.code, 3, none.stderr);
    assertMatch(
      none.stderr,
      /lmi: error: --format github needs GITHUB_ENV, which is not set\nhint: /,
    );
    const envFile = join(box.dir, "github_env");
    const outFile = join(box.dir, "github_output");
    await Deno.writeTextFile(envFile, "EARLIER=1\n");
    const r = await box.run(["auth", "token", "--format", "github", "-vv"], {
      env: { GITHUB_ACTIONS: "true", GITHUB_ENV: envFile, GITHUB_OUTPUT: outFile },
    });
    assertEquals(r.code, 0, r.stderr);
    const token = /^::add-mask::(\S+)\n$/.exec(r.stdout)?.[1];
    assert(token, r.stdout);
    assertNotIncludes(r.stderr, token);
    const env = await Deno.readTextFile(envFile);
    assertMatch(
      env,
      /^EARLIER=1\nLMI_TOKEN<<(lmi_[0-9a-f-]+)\n(\S+)\n\1\nLMI_TOKEN_TYPE<<\1\nBearer\n\1\n$/,
    );
    assertStringIncludes(env, `\n${token}\n`);
    assertMatch(await Deno.readTextFile(outFile), /^token<<(lmi_[0-9a-f-]+)\n\S+\n\1\n$/);
  });

  await t.step("env show: provenance, and secrets only as set/missing", async () => {
    await using box = await world(idp, ccConfig(idp) + pwConfig(idp));
    await Deno.writeTextFile(join(box.home, ".env.pw"), `PW_USER=${idp.users.alice.username}\n`);
    const r = await box.run(["env", "show", "pw", "--json"], { env: { PW_PASS: "", PW_USER: "" } });
    assertEquals(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assertEquals(doc.values["auth.client_secret"].value, "set (PW_SECRET)");
    assertEquals(doc.values["auth.client_secret"].source, "env var PW_SECRET");
    assertEquals(doc.values["auth.password"].value, "missing (PW_PASS)");
    assertEquals(doc.values["auth.type"].source, join(box.home, "lmi.toml"));
    assertEquals(doc.values.name, { value: "pw", source: "argument" });
    assertEquals(doc.values.timeout, { value: "30s", source: "default" });
    assertNotIncludes(r.stdout, idp.clients.password.secret);
  });

  await t.step("an env defined by LMI_* variables alone, no config file", async () => {
    await using box = await sandbox({
      LMI_ISSUER: idp.issuer,
      LMI_CLIENT_ID: idp.clients.basic.id,
      LMI_CLIENT_SECRET: idp.clients.basic.secret,
      LMI_SCOPES: "api.read api.write",
    });
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((decodeJwt(r.stdout.trim())).scope, "api.read api.write");
    const show = await box.run(["env", "show", "--json"]);
    assertEquals(JSON.parse(show.stdout).values["auth.client_id"].source, "env var LMI_CLIENT_ID");
  });
});

Deno.test("30 s tokens with the default 60 s refresh margin are reused for 15 s", async (t) => {
  await using idp = await startDevIdp({ accessTokenTtl: 30 });
  await using box = await world(idp, ccConfig(idp));

  await t.step("5 sequential `auth token` make one token request", async () => {
    idp.stats.reset();
    const first = await box.run(["auth", "token", "-v"]);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(
      first.stderr,
      /lmi: the token for env "dev" was issued for \d+s, less than twice refresh_margin \(1m00s\): it is renewed when \d+s are left/,
    );
    for (let i = 0; i < 4; i++) {
      const r = await box.run(["auth", "token"]);
      assertEquals([r.code, r.stdout], [0, first.stdout], r.stderr);
    }
    assertEquals(idp.stats.tokenRequests, 1);
  });

  await t.step("8 parallel `auth token` on a cold cache make one token request", async () => {
    await using cold = await world(idp, ccConfig(idp));
    idp.stats.reset();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => cold.run(["auth", "token"])),
    );
    for (const r of results) assertEquals(r.code, 0, r.stderr);
    assertEquals(new Set(results.map((r) => r.stdout)).size, 1);
    assertEquals(idp.stats.tokenRequests, 1);
  });

  await t.step(
    "--min-ttl longer than the token's lifetime: a new token and a warning",
    async () => {
      idp.stats.reset();
      const r = await box.run(["auth", "token", "--min-ttl", "1m"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /less than --min-ttl 1m00s \(the IdP's token lifetime is shorter\)/);
      assertEquals(idp.stats.tokenRequests, 1);
    },
  );
});

Deno.test("private_key_jwt client authentication (PEM in an environment variable)", async () => {
  await using idp = await startDevIdp();
  await using box = await sandbox({ JWT_KEY: idp.clients.jwt.privateKeyPem });
  await box.writeConfig(`[envs.jwt.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.jwt.id}"
client_auth = "private_key_jwt"
private_key_env = "JWT_KEY"
`);
  const r = await box.run(["auth", "token", "-e", "jwt", "-vv"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(decodeJwt(r.stdout.trim()).client_id, idp.clients.jwt.id);
  assertNotIncludes(r.stderr, idp.clients.jwt.privateKeyPem.split("\n")[1]!);
  const show = await box.run(["env", "show", "jwt", "--json"]);
  assertEquals(JSON.parse(show.stdout).values["auth.private_key"].value, "set (JWT_KEY)");
  const bad = await box.run(["auth", "token", "-e", "jwt", "--force"], {
    env: { JWT_KEY: "not a key" },
  });
  assertEquals(bad.code, 3);
  assertMatch(bad.stderr, /the private key in JWT_KEY cannot be used/);
});
