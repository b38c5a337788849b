/**
 * DPoP (RFC 9449) end to end: `dpop = true` against the dev IdP with oidc-provider's DPoP (and
 * its nonces) and the API checking proofs (signature, htm, htu, ath, cnf.jkt, its own nonces).
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertNotIncludes } from "../helpers/assert.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { jose } from "../../scripts/deps.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

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
    assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
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
  await t.step("exec sees LMI_TOKEN_TYPE=DPoP", async () => {
    const r = await box.run(["exec", "--", "sh", "-c", 'printf %s "$LMI_TOKEN_TYPE"']);
    assertEquals([r.code, r.stdout], [0, "DPoP"], r.stderr);
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
