/**
 * DPoP (RFC 9449) end to end: `dpop = true` against the dev IdP with oidc-provider's DPoP (and
 * its nonces) and the API checking proofs (signature, htm, htu, ath, cnf.jkt, its own nonces).
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertNotIncludes } from "../helpers/assert.ts";
import { devSandbox, passwordEnv, serviceEnv } from "../helpers/dev_world.ts";
import { jose } from "../../scripts/deps.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { sandbox } from "../helpers/cli.ts";
import { NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { ignoreUnless, POSIX_MODES, SH, SH_SCRIPTS } from "../helpers/components.ts";
import { deviceSignInAs, signInWithoutTerminal } from "../helpers/background.ts";
import { fileNameFor } from "../../src/sso/store.ts";

function config(idp: DevIdp): string {
  return `default_env = "dev"\n` + serviceEnv(idp, "dev", {
    env: `base_url = "${idp.apiUrl}"\ntimeout = "5s"\n`,
    auth: `scopes = ["api.read"]\nresource = "${idp.resource}"\ndpop = true`,
  });
}

Deno.test("DPoP-bound service tokens", async (t) => {
  await using idp = await startDevIdp({ dpop: { requireNonce: true } });
  await using box = await devSandbox(idp, config(idp));
  const keyFile = join(box.cacheDir, "lmi", "tokens", "dev.dpop.jwk");
  let token = "";

  await t.step("auth token: a DPoP token bound to the 0600 key file", async () => {
    const r = await box.run(["auth", "token", "--format", "json"]);
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assertEquals(out.token_type, "DPoP");
    token = out.access_token;
    const jwk = JSON.parse(await Deno.readTextFile(keyFile));
    if (!ignoreUnless("the DPoP key file is 0600", POSIX_MODES)) {
      assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    }
    const cnf = jose.decodeJwt(token).cnf as { jkt?: string };
    assertEquals(cnf.jkt, await jose.calculateJwkThumbprint(jwk));
    const again = await box.run(["auth", "token"]);
    assertEquals(again.stdout.trim(), token, "the cached token is used");
    const header = await box.run(["auth", "token", "--format", "header"]);
    assertEquals(header.stdout, `Authorization: DPoP ${token}\n`);
  });
  await t.step("lmi request passes the API's DPoP check", async () => {
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.api.requests.at(-1)?.authorizationScheme, "DPoP");
  });
  await t.step("the API's nonce: one retry with it", async () => {
    idp.api.dpopNonce("once");
    idp.api.reset();
    idp.api.dpopNonce("once");
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.api.requests.length, 2);
  });
  await t.step("a nonce loop: exit 4", async () => {
    idp.api.dpopNonce("always");
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 4, r.stderr);
    assert(r.stderr.includes("DPoP nonce"), r.stderr);
    idp.api.dpopNonce(null);
  });
  await t.step("auth dpop-proof: a proof that verifies, with ath of the token", async () => {
    const url = `${idp.apiUrl}/whoami?x=1`;
    const r = await box.run(["auth", "dpop-proof", "--method", "get", "--url", url]);
    assertEquals(r.code, 0, r.stderr);
    const proof = r.stdout.trim();
    const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: "dpop+jwt",
    });
    assertEquals([payload.htm, payload.htu], ["GET", `${idp.apiUrl}/whoami`]);
    const ath = jose.base64url.encode(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))),
    );
    assertEquals(payload.ath, ath);
    assertEquals(
      await jose.calculateJwkThumbprint(protectedHeader.jwk!),
      jose.decodeJwt(token).cnf ? (jose.decodeJwt(token).cnf as { jkt: string }).jkt : undefined,
    );
    const res = await fetch(`${idp.apiUrl}/whoami`, {
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    });
    assertEquals(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  });
  await t.step("a same-origin redirect: a new proof for the new URL and method", async () => {
    idp.api.reset();
    const r = await box.run(["request", "/redirect?to=/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.api.requests.map((q) => q.path), ["/redirect", "/whoami"]);
    const [hop1, hop2] = idp.api.requests.map((q) => jose.decodeJwt(q.headers.dpop!));
    assertEquals([hop1!.htu, hop2!.htu], [`${idp.apiUrl}/redirect`, `${idp.apiUrl}/whoami`]);
    assert(hop1!.jti !== hop2!.jti, "each hop has its own proof");
    idp.api.reset();
    const post = await box.run(["request", "-X", "POST", "/redirect?to=/echo", "-d", "x"]);
    assertEquals(post.code, 0, post.stderr);
    assertEquals(JSON.parse(post.stdout).method, "POST");
    idp.api.reset();
    idp.api.dpopNonce("once");
    const nonced = await box.run(["request", "/redirect?to=/whoami"]);
    assertEquals(nonced.code, 0, nonced.stderr);
    assertEquals(idp.api.requests.map((q) => q.path), [
      "/redirect",
      "/whoami",
      "/redirect",
      "/whoami",
    ]);
    idp.api.reset();
  });
  const EXEC = "exec sees LMI_TOKEN_TYPE=DPoP";
  await t.step({
    name: EXEC,
    ignore: ignoreUnless(EXEC, SH),
    fn: async () => {
      const r = await box.run(["exec", "--", "sh", "-c", 'printf %s "$LMI_TOKEN_TYPE"']);
      assertEquals([r.code, r.stdout], [0, "DPoP"], r.stderr);
    },
  });
  const PLUGIN = "a plugin gets LMI_TOKEN_TYPE=DPoP with the bound token";
  await t.step({
    name: PLUGIN,
    ignore: ignoreUnless(PLUGIN, SH_SCRIPTS),
    fn: async () => {
      const bin = join(box.dir, "bin");
      await Deno.mkdir(bin, { recursive: true });
      await Deno.writeTextFile(
        join(bin, "lmi-tokentype"),
        `#!/bin/sh\nprintf '%s\\n' "$LMI_TOKEN_TYPE" "$LMI_TOKEN"\n`,
      );
      await Deno.chmod(join(bin, "lmi-tokentype"), 0o755);
      const r = await box.run(["tokentype"], { env: { PATH: `${bin}:${box.env.PATH}` } });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, `DPoP\n${token}\n`);
    },
  });
  await t.step("-vv shows neither the token nor the private key", async () => {
    const r = await box.run(["-vv", "request", "/whoami", "--env", "dev"]);
    assertEquals(r.code, 0, r.stderr);
    const jwk = JSON.parse(await Deno.readTextFile(keyFile));
    for (const secret of [token, jwk.d]) {
      assertNotIncludes(r.stdout + r.stderr, secret);
    }
  });
  await t.step("a Bearer-only run is refused by the API for a bound token", async () => {
    const res = await fetch(`${idp.apiUrl}/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("logout removes the key file", async () => {
    const r = await box.run(["logout"]);
    assertEquals(r.code, 0, r.stderr);
    let gone = false;
    try {
      await Deno.stat(keyFile);
    } catch (err) {
      gone = err instanceof Deno.errors.NotFound;
    }
    assert(gone, "the key file is removed");
  });
});

Deno.test("DPoP with the password grant: refresh keeps the binding", async () => {
  await using idp = await startDevIdp({ dpop: { requireNonce: true } });
  const toml = `default_env = "pw"\n` + passwordEnv(idp, "pw", {
    env: `base_url = "${idp.apiUrl}"\ntimeout = "5s"\n`,
    auth: `scopes = ["api.read"]\nresource = "${idp.resource}"\ndpop = true`,
  });
  await using box = await devSandbox(idp, toml);
  const keyFile = join(box.cacheDir, "lmi", "tokens", "pw.dpop.jwk");

  const first = await box.run(["auth", "token", "--format", "json"]);
  assertEquals(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout);
  assertEquals(out.token_type, "DPoP");
  const jkt = await jose.calculateJwkThumbprint(JSON.parse(await Deno.readTextFile(keyFile)));
  assertEquals((jose.decodeJwt(out.access_token).cnf as { jkt?: string }).jkt, jkt);
  assertEquals(idp.stats.byGrant.password, 1);

  const refreshed = await box.run(["auth", "token", "--min-ttl", "2h", "--format", "json"]);
  assertEquals(refreshed.code, 0, refreshed.stderr);
  assert((idp.stats.byGrant.refresh_token ?? 0) >= 1, JSON.stringify(idp.stats.byGrant));
  assertEquals(idp.stats.byGrant.password, 1, "refreshed, not a new password grant");
  const next = JSON.parse(refreshed.stdout);
  assert(next.access_token !== out.access_token, "a new token");
  assertEquals(next.token_type, "DPoP");
  assertEquals((jose.decodeJwt(next.access_token).cnf as { jkt?: string }).jkt, jkt);
  const r = await box.run(["request", "/whoami"]);
  assertEquals(r.code, 0, r.stderr);
});

Deno.test("the dev IdP's password grant checks DPoP proofs", async () => {
  await using idp = await startDevIdp({ dpop: {} });
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = await jose.exportJWK(publicKey);
  const proof = ({ iat, ...claims }: Record<string, unknown>) =>
    new jose.SignJWT({ htm: "POST", htu: idp.tokenUrl, ...claims })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
      .setIssuedAt(iat as number | undefined)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  const grant = async (dpop?: string, params?: Record<string, string>) => {
    const { password: client } = idp.clients;
    const res = await fetch(idp.tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`,
        "content-type": "application/x-www-form-urlencoded",
        ...(dpop ? { dpop } : {}),
      },
      body: new URLSearchParams(
        params ?? {
          grant_type: "password",
          username: idp.users.alice.username,
          password: idp.users.alice.password,
        },
      ),
    });
    return { status: res.status, body: await res.json() };
  };
  const plain = await grant();
  assertEquals([plain.status, plain.body.token_type], [200, "Bearer"]);
  const good = await proof({});
  const bound = await grant(good);
  assertEquals([bound.status, bound.body.token_type], [200, "DPoP"], JSON.stringify(bound.body));
  const replay = await grant(good);
  assertEquals([replay.status, replay.body.error], [400, "invalid_dpop_proof"]);
  // The refresh token is bound too: oidc-provider's refresh_token grant wants the same key.
  const refresh = { grant_type: "refresh_token", refresh_token: bound.body.refresh_token };
  const other = await jose.generateKeyPair("ES256");
  const otherProof = await new jose.SignJWT({ htm: "POST", htu: idp.tokenUrl })
    .setProtectedHeader({
      alg: "ES256",
      typ: "dpop+jwt",
      jwk: await jose.exportJWK(other.publicKey),
    })
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .sign(other.privateKey);
  const wrongKey = await grant(otherProof, refresh);
  assertEquals([wrongKey.status, wrongKey.body.error], [400, "invalid_grant"]);
  const noProof = await grant(undefined, refresh);
  assertEquals([noProof.status, noProof.body.error], [400, "invalid_grant"]);
  const sameKey = await grant(await proof({}), refresh);
  assertEquals(
    [sameKey.status, sameKey.body.token_type],
    [200, "DPoP"],
    JSON.stringify(sameKey.body),
  );
  for (
    const bad of [
      await proof({ htm: "GET" }),
      await proof({ htu: `${idp.issuer}/other` }),
      await proof({ iat: Math.floor(Date.now() / 1000) - 3600 }),
      await proof({ htu: `${idp.tokenUrl}?x=1` }).then((p) => p.replace(/\.[^.]+$/, ".AAAA")),
    ]
  ) {
    const r = await grant(bad);
    assertEquals([r.status, r.body.error], [400, "invalid_dpop_proof"], JSON.stringify(r.body));
  }
});

Deno.test({
  name: "DPoP for the SSO session: device sign-in, sso envs' requests and refresh keep the binding",
  ignore: ignoreUnless("DPoP SSO device flow", NEEDS_CHROMIUM),
  fn: async () => {
    await using idp = await startDevIdp({ dpop: { requireNonce: true } });
    await using box = await sandbox({ LMI_KEYRING: "file", CI: "true" });
    await box.writeConfig(`[sso]
issuer = "${idp.issuer}"
client_id = "${idp.clients.public.id}"
dpop = true

[envs.app]
base_url = "${idp.apiUrl}"
timeout = "5s"
[envs.app.auth]
type = "sso"
`);
    const login = await signInWithoutTerminal(
      ["login", "sso", "--device", "--timeout", "60s"],
      box.env,
      box.home,
      deviceSignInAs(idp.users.alice),
    );
    assertEquals(await login.status, 0, login.stderr());

    // The key pair is stored with the session (the 0600 file store), never printed.
    const sessionPath = join(
      box.home,
      ".local",
      "share",
      "lmi",
      "sso",
      fileNameFor(`sso:${idp.issuer}`),
    );
    assertEquals((await Deno.stat(sessionPath)).mode! & 0o777, 0o600);
    const session = JSON.parse(await Deno.readTextFile(sessionPath));
    assertEquals(session.token_type.toLowerCase(), "dpop");
    const jwk = session.dpop_jwk;
    assert(typeof jwk?.d === "string", "the private JWK is kept with the session");
    const jkt = await jose.calculateJwkThumbprint(jwk);
    assertNotIncludes(login.stdout() + login.stderr(), jwk.d);

    const first = await box.run(["auth", "token", "-e", "app", "--format", "json"]);
    assertEquals(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout);
    assertEquals(out.token_type, "DPoP");
    assertEquals((jose.decodeJwt(out.access_token).cnf as { jkt?: string }).jkt, jkt);
    assertNotIncludes(first.stdout + first.stderr, jwk.d);

    idp.api.reset();
    idp.api.dpopNonce("once");
    const r = await box.run(["-vv", "request", "-e", "app", "/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.api.requests.at(-1)?.authorizationScheme, "DPoP");
    assertEquals(JSON.parse(r.stdout).sub, idp.users.alice.sub);
    assertNotIncludes(r.stdout + r.stderr, jwk.d);
    idp.api.dpopNonce(null);

    const forced = await box.run(["auth", "token", "-e", "app", "--force", "--format", "json"]);
    assertEquals(forced.code, 0, forced.stderr);
    const next = JSON.parse(forced.stdout);
    assert(next.access_token !== out.access_token, "a new token from the SSO refresh");
    assertEquals(next.token_type, "DPoP");
    assertEquals((jose.decodeJwt(next.access_token).cnf as { jkt?: string }).jkt, jkt);
    const stored = JSON.parse(await Deno.readTextFile(sessionPath));
    assertEquals(await jose.calculateJwkThumbprint(stored.dpop_jwk), jkt, "the same key");
    const again = await box.run(["request", "-e", "app", "/whoami"]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(idp.api.requests.at(-1)?.authorizationScheme, "DPoP");
  },
});
