/**
 * The WWW-Authenticate parser (RFC 9110 §11.6.1): several challenges, token68 and auth-params,
 * quoted strings with escapes, names and schemes without case; and what a hostile server can send
 * (a huge header, quotes that never end, repeated or countless parameters, controls, garbage).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  type Challenge,
  MAX_CHALLENGES,
  MAX_HEADER_LENGTH,
  MAX_PARAMS,
  parseWwwAuthenticate,
} from "../../src/http/www_authenticate.ts";

/** Challenges as plain data: `[scheme, params]` or `[scheme, { token68 }]`. */
function parsed(header: string): [string, Record<string, string>][] {
  return parseWwwAuthenticate(header).map((c: Challenge) => [
    c.scheme,
    c.token68 !== undefined ? { token68: c.token68 } : Object.fromEntries(c.params),
  ]);
}

Deno.test("WWW-Authenticate: the grammar", async (t) => {
  await t.step("one challenge with parameters, tokens and quoted strings", () => {
    assertEquals(
      parsed('Bearer realm="api", error=insufficient_scope, scope="admin read"'),
      [["bearer", { realm: "api", error: "insufficient_scope", scope: "admin read" }]],
    );
  });
  await t.step("RFC 9470 §3's example", () => {
    assertEquals(
      parsed(
        'Bearer error="insufficient_user_authentication", ' +
          'error_description="A different authentication level is required", ' +
          'acr_values="myACR"',
      ),
      [["bearer", {
        error: "insufficient_user_authentication",
        error_description: "A different authentication level is required",
        acr_values: "myACR",
      }]],
    );
  });
  await t.step("RFC 9110 §11.6.1's example: two challenges, an escaped quote", () => {
    assertEquals(
      parsed('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'),
      [
        ["newauth", { realm: "apps", type: "1", title: 'Login to "apps"' }],
        ["basic", { realm: "simple" }],
      ],
    );
  });
  await t.step("several challenges, with and without parameters, token68", () => {
    assertEquals(
      parsed('Negotiate, DPoP algs="ES256 PS256", Basic YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer'),
      [
        ["negotiate", {}],
        ["dpop", { algs: "ES256 PS256" }],
        ["basic", { token68: "YWxhZGRpbjpvcGVuc2VzYW1l==" }],
        ["bearer", {}],
      ],
    );
  });
  await t.step("schemes and parameter names without case; values as sent", () => {
    assertEquals(parsed('BEARER ERROR="Insufficient_Scope", Scope=Admin'), [
      ["bearer", { error: "Insufficient_Scope", scope: "Admin" }],
    ]);
  });
  await t.step("whitespace around = and commas, empty list elements, tabs", () => {
    assertEquals(parsed(' ,, Bearer\trealm = "a" ,  , error= x ,DPoP   max_age =300 ,'), [
      ["bearer", { realm: "a", error: "x" }],
      ["dpop", { max_age: "300" }],
    ]);
  });
  await t.step("header fields joined by fetch (', ') are one list", () => {
    const headers = new Headers();
    headers.append("www-authenticate", 'DPoP error="use_dpop_nonce"');
    headers.append("www-authenticate", 'Bearer error="insufficient_scope", scope="x"');
    assertEquals(parsed(headers.get("www-authenticate")!), [
      ["dpop", { error: "use_dpop_nonce" }],
      ["bearer", { error: "insufficient_scope", scope: "x" }],
    ]);
  });
  await t.step("quoted strings: escapes, commas and = inside, empty", () => {
    assertEquals(parsed('Bearer a="x, y=z", b="\\\\", c="", d="\\a"'), [
      ["bearer", { a: "x, y=z", b: "\\", c: "", d: "a" }],
    ]);
  });
  await t.step("obs-text (bytes above 0x7f, as fetch gives them) is kept", () => {
    assertEquals(parsed('Bearer realm="caf\xe9"'), [["bearer", { realm: "caf\xe9" }]]);
  });
  await t.step("token68 and a parameter are told apart by what follows =", () => {
    assertEquals(parsed("Basic abc=, Basic abc==, Basic a=b"), [
      ["basic", { token68: "abc=" }],
      ["basic", { token68: "abc==" }],
      ["basic", { a: "b" }],
    ]);
  });
  await t.step("the Params map has no prototype to poison", () => {
    const [c] = parseWwwAuthenticate('Bearer __proto__="x", constructor=y');
    assertEquals(c!.params.get("__proto__"), "x");
    assertEquals(c!.params.get("constructor"), "y");
    assertEquals(({} as Record<string, unknown>).x, undefined);
  });
});

Deno.test("WWW-Authenticate: hostile or broken headers", async (t) => {
  await t.step("nothing, blanks, commas", () => {
    for (const h of ["", "   ", ",", " , ,\t,"]) assertEquals(parsed(h), [], JSON.stringify(h));
  });
  await t.step("a header longer than the bound is not parsed at all", () => {
    const huge = `Bearer error="insufficient_scope", scope="${"a".repeat(MAX_HEADER_LENGTH)}"`;
    assertEquals(parsed(huge), []);
    const started = performance.now();
    assertEquals(parsed("Bearer " + ",".repeat(10_000_000)), []);
    assert(performance.now() - started < 1000, "refused without reading it");
    const atBound = `Bearer x="${"a".repeat(MAX_HEADER_LENGTH - 11)}"`;
    assertEquals(atBound.length, MAX_HEADER_LENGTH);
    assertEquals(parsed(atBound).length, 1);
  });
  await t.step("the worst the bound allows is parsed quickly", () => {
    const dense = "a=b,".repeat(MAX_HEADER_LENGTH / 4);
    const quotes = '"'.repeat(MAX_HEADER_LENGTH);
    const escapes = `Bearer a="${"\\".repeat(MAX_HEADER_LENGTH - 12)}`;
    const started = performance.now();
    for (const h of [`Bearer ${dense}`.slice(0, MAX_HEADER_LENGTH), quotes, escapes]) {
      parseWwwAuthenticate(h);
    }
    assert(performance.now() - started < 1000, "no blow-up on the worst input");
  });
  await t.step("an unterminated quoted string drops its parameter, keeps what came before", () => {
    assertEquals(parsed('Bearer error="insufficient_scope", scope="admin'), [
      ["bearer", { error: "insufficient_scope" }],
    ]);
    assertEquals(parsed('Bearer a="x\\'), [["bearer", {}]]);
    assertEquals(parsed('"'), []);
  });
  await t.step("a repeated parameter keeps its first value", () => {
    assertEquals(parsed('Bearer error="insufficient_scope", ERROR="invalid_token", error=x'), [
      ["bearer", { error: "insufficient_scope" }],
    ]);
  });
  await t.step("at most MAX_PARAMS parameters and MAX_CHALLENGES challenges", () => {
    const many = Array.from({ length: MAX_PARAMS + 10 }, (_, i) => `p${i}=v`).join(", ");
    assertEquals(parseWwwAuthenticate(`Bearer ${many}`)[0]!.params.size, MAX_PARAMS);
    const lots = Array.from({ length: MAX_CHALLENGES + 5 }, (_, i) => `S${i} a=b`).join(", ");
    const got = parseWwwAuthenticate(lots);
    assertEquals(got.length, MAX_CHALLENGES);
    assertEquals(got.at(-1)!.scheme, `s${MAX_CHALLENGES - 1}`);
  });
  await t.step("control characters in a quoted string drop the parameter", () => {
    assertEquals(parsed('Bearer a="x\x1b[31m", b="\x00", c="ok", d="line\nbreak"'), [
      ["bearer", { c: "ok" }],
    ]);
    assertEquals(parsed('Bearer a="\u2028"'), [["bearer", {}]]);
  });
  await t.step("garbage is skipped up to the next comma, the rest still parsed", () => {
    // A challenge that goes wrong is dropped: what follows its comma is read as a new element.
    assertEquals(parsed('@@@, Bearer error="x" junk here, scope=y, (), DPoP a=b'), [
      ["bearer", { error: "x", scope: "y" }],
      ["dpop", { a: "b" }],
    ]);
    assertEquals(parsed('Bearer=x, Bearer"x", Bearer a=, DPoP'), [
      ["bearer", { token68: "a=" }],
      ["dpop", {}],
    ]);
    assertEquals(parsed('Bearer junk "unterminated, DPoP error=x'), []);
    assertEquals(parsed('Bearer junk "quoted, still", DPoP error=x'), [["dpop", { error: "x" }]]);
  });
  await t.step("a parameter name that is not a token is no parameter", () => {
    assertEquals(parsed('Bearer "error"="x", a=b'), []);
    assertEquals(parsed('Bearer ok=1, "error"="x", a=b'), [["bearer", { ok: "1" }]]);
  });
});
