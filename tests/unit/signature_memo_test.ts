/**
 * The signature memo (src/tokens/signature_memo.ts): a cached token that jose verified is read
 * again without a new signature check only while the token and the keys are the same and the memo
 * is this user's MAC of them (a memo edited, or made under another key, is a miss: jose decides),
 * and its claims are checked on every read exactly as jose checks them.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { loadJose } from "../../src/deps.ts";
import {
  base64urlBytes,
  claimsPass,
  CLOCK_TOLERANCE_S,
  MEMO_SCHEME,
  memoInputs,
  signatureMemo,
} from "../../src/tokens/signature_memo.ts";
import { createVerifier, type Verdict } from "../../src/tokens/verify.ts";
import { type CacheKey, readOnlyKey, userCacheKey } from "../../src/util/cache_key.ts";
import { hmacSha256Hex } from "../../src/util/hmac.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { issuerForms } from "../../src/util/issuer.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";

const jose = await loadJose();
const ISSUER = "https://idp.example";
const NOW = Date.parse("2026-01-01T00:00:00Z");
const NOW_S = NOW / 1000;

async function signer(kid = "k1") {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid, alg: "ES256", use: "sig" };
  const sign = (claims: Record<string, unknown>) =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).sign(privateKey);
  return { jwk, sign };
}

/**
 * jose's verdict with lmi's options (the issuer with and without its trailing slash): the claims
 * when it accepts, undefined when not.
 */
async function joseClaims(
  token: string,
  keys: Record<string, unknown>[],
  audience: string | string[] | undefined,
  now: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet({ keys }), {
      issuer: issuerForms(ISSUER),
      ...(audience ? { audience } : {}),
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
    });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

Deno.test("the memo names the jose version src/deps.ts pins", async () => {
  const deps = await Deno.readTextFile(join(REPO, "src", "deps.ts"));
  const pinned = /npm:jose@([0-9.]+)/.exec(deps)?.[1];
  assert(pinned, "jose is pinned in src/deps.ts");
  assert(MEMO_SCHEME.endsWith(`jose@${pinned}`), MEMO_SCHEME);
});

Deno.test("claims: the same decision as jose's validateClaimsSet, case by case", async () => {
  const { jwk, sign } = await signer();
  const iat = NOW_S - 60;
  const cases: Array<[string, Record<string, unknown>, (string | string[])?]> = [
    ["valid", { iss: ISSUER, iat, exp: NOW_S + 600 }],
    ["no exp, no iat, no nbf", { iss: ISSUER }],
    ["another issuer", { iss: "https://other.example", exp: NOW_S + 600 }],
    ["the issuer with a trailing slash", { iss: `${ISSUER}/`, exp: NOW_S + 600 }],
    ["the issuer with two trailing slashes", { iss: `${ISSUER}//`, exp: NOW_S + 600 }],
    ["the issuer with a path", { iss: `${ISSUER}/x`, exp: NOW_S + 600 }],
    ["no iss", { exp: NOW_S + 600 }],
    ["iss not a string", { iss: [ISSUER], exp: NOW_S + 600 }],
    ["expired beyond the tolerance", { iss: ISSUER, exp: NOW_S - CLOCK_TOLERANCE_S }],
    ["expired within the tolerance", { iss: ISSUER, exp: NOW_S - CLOCK_TOLERANCE_S + 1 }],
    ["exp now", { iss: ISSUER, exp: NOW_S }],
    ["exp a string", { iss: ISSUER, exp: String(NOW_S + 600) }],
    ["exp null", { iss: ISSUER, exp: null }],
    ["exp 0", { iss: ISSUER, exp: 0 }],
    ["nbf ahead beyond the tolerance", { iss: ISSUER, nbf: NOW_S + CLOCK_TOLERANCE_S + 1 }],
    ["nbf ahead within the tolerance", { iss: ISSUER, nbf: NOW_S + CLOCK_TOLERANCE_S }],
    ["nbf a string", { iss: ISSUER, nbf: "soon" }],
    ["iat a string", { iss: ISSUER, iat: "then" }],
    ["iat in the future", { iss: ISSUER, iat: NOW_S + 3600 }],
    ["aud expected and present", { iss: ISSUER, aud: "api" }, "api"],
    ["aud expected, one of a list", { iss: ISSUER, aud: ["x", "api"] }, ["api", "y"]],
    ["aud expected, another", { iss: ISSUER, aud: "other" }, "api"],
    ["aud expected, none", { iss: ISSUER }, "api"],
    ["aud expected, not a string", { iss: ISSUER, aud: 7 }, "api"],
    ["aud expected, an empty list wanted", { iss: ISSUER, aud: "api" }, []],
    ["aud not expected, any aud", { iss: ISSUER, aud: 7 }],
  ];
  for (const [name, claims, audience] of cases) {
    const token = await sign(claims);
    for (const now of [NOW, NOW + 999]) {
      const mine = claimsPass(token, { issuer: ISSUER, audience: audience || undefined, now });
      const theirs = await joseClaims(token, [jwk], audience, now);
      assertEquals(mine, theirs, name);
    }
  }
});

Deno.test("claims: a payload jose would refuse is never passed", () => {
  const header = btoa(JSON.stringify({ alg: "ES256" })).replace(/=+$/, "");
  const enc = (bytes: Uint8Array) => bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  const rules = { issuer: ISSUER, now: NOW };
  const payloads: Array<[string, Uint8Array]> = [
    ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
    ["an array", new TextEncoder().encode(`[{"iss":"${ISSUER}"}]`)],
    ["not JSON", new TextEncoder().encode("iss")],
    ["null", new TextEncoder().encode("null")],
  ];
  for (const [name, bytes] of payloads) {
    assertEquals(claimsPass(`${header}.${enc(bytes)}.sig`, rules), undefined, name);
  }
  assertEquals(claimsPass("a.b", rules), undefined, "two parts");
  assertEquals(claimsPass(`${header}.%%%.sig`, rules), undefined, "not base64url");
});

Deno.test("the memo is a MAC of the check's inputs: the token, the keys jose could select", async () => {
  const { jwk, sign } = await signer();
  const other = await signer("k2");
  const token = await sign({ iss: ISSUER });
  const key = crypto.getRandomValues(new Uint8Array(32));
  const memo = signatureMemo(token, "k1", [jwk, other.jwk], key);
  assertEquals(JSON.parse(memoInputs(token, "k1", [jwk, other.jwk])), [MEMO_SCHEME, token, [jwk]]);
  assertEquals(memo, hmacSha256Hex(key, memoInputs(token, "k1", [jwk])));
  assertEquals(signatureMemo(token, "k1", [other.jwk, jwk], key), memo, "other kids take no part");
  assert(signatureMemo(token, "k1", [{ ...jwk, x: other.jwk.x }], key) !== memo, "another key");
  assert(signatureMemo(token + "x", "k1", [jwk], key) !== memo, "another token");
  const another = crypto.getRandomValues(new Uint8Array(32));
  assert(signatureMemo(token, "k1", [jwk], another) !== memo, "another user's cache key");
  assertEquals(JSON.parse(memoInputs(token, undefined, [jwk, other.jwk]))[2].length, 2);
});

Deno.test("a verifier with a memo", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-memo-" });
  const path = join(dir, "dev.jwks.json");
  const { jwk, sign } = await signer();
  const other = await signer("k1"); // the same kid, another key: what a rotation looks like
  const deps = fakeDeps({ now: NOW });
  const writeKeys = (keys: unknown[]) =>
    Deno.writeTextFile(
      path,
      JSON.stringify({
        issuers: [{
          config_issuer: ISSUER,
          issuer: ISSUER,
          jwks_uri: `${ISSUER}/jwks`,
          keys,
          fetched_at: new Date(NOW).toISOString(),
        }],
      }),
      { mode: 0o600 },
    );
  const userKey = userCacheKey(join(dir, "data", "lmi"));
  const verifier = (cacheKey: CacheKey | "none" = userKey) =>
    createVerifier({
      path,
      configIssuer: ISSUER,
      cacheKey: cacheKey === "none" ? undefined : cacheKey,
      now: deps.now,
      log: testLogger(deps),
      issuerKeys: () => Promise.reject(new Error("no network")),
      fetchJwks: () => Promise.reject(new Error("no network")),
    });
  const rules = { strict: true, audience: ["api"] };
  await writeKeys([jwk]);
  const token = await sign({ iss: ISSUER, aud: "api", exp: NOW_S + 600 });
  try {
    let memo = "";
    await t.step("jose's verdict gives the memo; with it, the same verdict", async () => {
      const first = await verifier().verify(token, rules);
      assert(first.ok && first.verified && first.memo, JSON.stringify(first));
      memo = first.memo;
      const again = await verifier().verify(token, rules, memo);
      assertEquals(again, first);
    });
    await t.step("the keys changed (rotation under the same kid): jose decides", async () => {
      await writeKeys([other.jwk]);
      const v = await verifier().verify(token, rules, memo);
      assertEquals(v, {
        ok: false,
        reason: "its signature does not verify with the issuer's published keys",
      });
      await writeKeys([jwk]);
    });
    await t.step("claims are checked on every read: expired, other audience", async () => {
      deps.clock.now = NOW + 3600_000;
      const expired = await verifier().verify(token, rules, memo);
      assertEquals(expired, { ok: false, reason: "token has expired (exp)" } satisfies Verdict);
      deps.clock.now = NOW;
      const aud = await verifier().verify(token, { strict: true, audience: ["other"] }, memo);
      assertEquals(aud.ok, false);
      assertEquals(aud, await verifier().verify(token, { strict: true, audience: ["other"] }));
    });
    // A token whose signature is not its own: only jose's check can refuse it.
    const tampered = async () => {
      const forged = await sign({ iss: ISSUER, aud: "api", exp: NOW_S + 600, sub: "admin" });
      return forged.slice(0, forged.lastIndexOf(".") + 1) + token.slice(token.lastIndexOf(".") + 1);
    };
    await t.step("a memo that is not this token's: jose decides", async () => {
      const v = await verifier().verify(await tampered(), rules, memo);
      assertEquals(v.ok, false);
    });
    const refused: Verdict = {
      ok: false,
      reason: "its signature does not verify with the issuer's published keys",
    };
    await t.step("a memo under the user's key is trusted: it stands for jose's check", async () => {
      const forged = await tampered();
      const sealed = signatureMemo(forged, "k1", [jwk], userKey.read()!);
      assertEquals((await verifier().verify(forged, rules, sealed)).ok, true);
    });
    await t.step("a memo under another key (another user's cache): jose decides", async () => {
      const forged = await tampered();
      const another = crypto.getRandomValues(new Uint8Array(32));
      const foreign = signatureMemo(forged, "k1", [jwk], another);
      assertEquals(await verifier().verify(forged, rules, foreign), refused);
      const genuine = await verifier().verify(
        token,
        rules,
        signatureMemo(token, "k1", [jwk], another),
      );
      assertEquals(genuine, await verifier().verify(token, rules), "a good token: jose's verdict");
    });
    await t.step("an edited memo: jose decides", async () => {
      const forged = await tampered();
      const sealed = signatureMemo(forged, "k1", [jwk], userKey.read()!);
      const edited = (sealed[0] === "0" ? "1" : "0") + sealed.slice(1);
      assertEquals(await verifier().verify(forged, rules, edited), refused);
      assertEquals(await verifier().verify(forged, rules, sealed.toUpperCase()), refused);
      assertEquals(await verifier().verify(forged, rules, ""), refused);
    });
    await t.step("no key: no memo is read or made, jose decides", async () => {
      const forged = await tampered();
      const sealed = signatureMemo(forged, "k1", [jwk], userKey.read()!);
      for (const none of ["none", userCacheKey(undefined)] as const) {
        assertEquals(await verifier(none).verify(forged, rules, sealed), refused);
        const v = await verifier(none).verify(token, rules);
        assert(v.ok && v.verified && v.memo === undefined, JSON.stringify(v));
      }
    });
    await t.step("a read-only key (warm path, status) makes no key and no memo", async () => {
      const fresh = join(dir, "fresh", "lmi");
      const v = await verifier(readOnlyKey(userCacheKey(fresh))).verify(token, rules);
      assert(v.ok && v.verified && v.memo === undefined, JSON.stringify(v));
      assertEquals(await Deno.lstat(fresh).then(() => true, () => false), false);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("base64url: without Uint8Array.fromBase64 (older runtimes), the same bytes", () => {
  const inputs = Array.from(
    { length: 40 },
    (_, n) =>
      crypto.getRandomValues(new Uint8Array(n)).toBase64({
        alphabet: "base64url",
        omitPadding: true,
      }),
  );
  const native = inputs.map((t) => [...base64urlBytes(t)]);
  const invalid = ["a+b", "a/b", "a=", "%%", "A"];
  const fails = (f: () => unknown) => {
    try {
      f();
      return false;
    } catch {
      return true;
    }
  };
  assert(invalid.every((t) => fails(() => base64urlBytes(t))));
  const saved = Uint8Array.fromBase64;
  // deno-lint-ignore no-explicit-any
  (Uint8Array as any).fromBase64 = undefined;
  try {
    assertEquals(inputs.map((t) => [...base64urlBytes(t)]), native);
    assert(invalid.every((t) => fails(() => base64urlBytes(t))));
  } finally {
    // deno-lint-ignore no-explicit-any
    (Uint8Array as any).fromBase64 = saved;
  }
});
