import { assertEquals, assertNotIncludes, assertStringIncludes } from "../helpers/assert.ts";
import { Redactor } from "../../src/ui/redact.ts";

Deno.test("redaction", async (t) => {
  const r = new Redactor();
  r.add("s3cr3t+value/=");
  await t.step("known values, raw and URL-encoded", () => {
    const out = r.redact("secret s3cr3t+value/= and s3cr3t%2Bvalue%2F%3D and s3cr3t%2Bvalue%2F%3D");
    assertNotIncludes(out, "s3cr3t");
  });
  await t.step("JWTs, Authorization and cookies, sensitive fields", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const text = [
      `token ${jwt}`,
      "authorization: Basic dXNlcjpwYXNz",
      "Cookie: session=abcdef123456",
      "set-cookie: id=zzz; HttpOnly",
      '{"refresh_token":"rt-opaque-123","access_token":"at-opaque","scope":"a"}',
      "grant_type=password&username=bob&password=hunter22&client_secret=xyz123",
      "Bearer opaque-access-token-123",
    ].join("\n");
    const out = r.redact(text);
    for (
      const secret of [
        jwt,
        "dXNlcjpwYXNz",
        "abcdef123456",
        "id=zzz",
        "rt-opaque-123",
        "at-opaque",
        "hunter22",
        "xyz123",
        "opaque-access-token-123",
      ]
    ) {
      assertNotIncludes(out, secret);
    }
    assertStringIncludes(out, "username=bob");
    assertStringIncludes(out, '"scope":"a"');
  });
  await t.step("short values are not registered (they would mangle text)", () => {
    const short = new Redactor();
    short.add("ab");
    assertEquals(short.redact("about"), "about");
  });
  await t.step("as-is text (a device code URL): registered values only", () => {
    const url = "https://idp/device?code=B48M-YM2N (and s3cr3t+value/=)";
    assertEquals(r.redact(url), "https://idp/device?code=[REDACTED] (and [REDACTED])");
    assertEquals(r.redactValues(url), "https://idp/device?code=B48M-YM2N (and [REDACTED])");
  });
  await t.step("a JSON field cut off before its closing quote: to the end", () => {
    assertEquals(
      new Redactor().redact('{"scope":"a","access_token":"opaque-token-cut-off-here'),
      '{"scope":"a","access_token":"[REDACTED]"',
    );
  });
  await t.step("an answer: its secrets registered first, whatever escapes hide them", () => {
    const answer = new Redactor();
    const shown = answer.redactAnswer(
      '{"\\u0061ccess_token": "opaque\\u002dtoken-1234", "nested": [{"Refresh_Token": ' +
        '"rt-opaque-5678"}], "value": "gh-oidc-token-9", "code": "E_BAD", "scope": "a b"}',
      ["value"],
    );
    assertEquals(
      shown,
      '{"access_token":"[REDACTED]","nested":[{"Refresh_Token":"[REDACTED]"}],' +
        '"value":"[REDACTED]","code":"[REDACTED]","scope":"a b"}',
    );
    // Registered: gone from any later text too, cut or not; an error code is not registered.
    const later = answer.redact("opaque-token-1234 rt-opaque-5678 gh-oidc-token-9 E_BAD");
    assertEquals(later, "[REDACTED] [REDACTED] [REDACTED] E_BAD");
    assertEquals(
      answer.redactAnswer("not JSON: Bearer opaque-token-1234"),
      "not JSON: Bearer [REDACTED]",
    );
  });
});
