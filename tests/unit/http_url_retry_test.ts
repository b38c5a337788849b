import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { resolveTarget } from "../../src/http/url.ts";
import { backoffMs, isIdempotent, retryAfterMs } from "../../src/http/retry.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("request URLs against base_url", async (t) => {
  const r = (base: string | undefined, target: string) => resolveTarget(base, target, "dev");
  await t.step("relative paths append to the base path, with or without a leading slash", () => {
    assertEquals(r("https://h/api", "/users").url.href, "https://h/api/users");
    assertEquals(r("https://h/api", "users").url.href, "https://h/api/users");
    assertEquals(r("https://h/api/", "/users/").url.href, "https://h/api/users/");
    assertEquals(r("https://h", "users").url.href, "https://h/users");
  });
  await t.step("query strings are kept", () => {
    assertEquals(
      r("https://h/api", "/users?q=a%20b&x=1").url.href,
      "https://h/api/users?q=a%20b&x=1",
    );
    assertEquals(r("https://h/api", "?page=2").url.href, "https://h/api?page=2");
  });
  await t.step("full URLs are used as given; only base_url's origin is trusted", () => {
    assertEquals(r("https://h/api", "https://h/other").sameOrigin, true);
    assertEquals(r("https://h/api", "https://evil.example/x").sameOrigin, false);
    assertEquals(r("https://h/api", "http://h/api").sameOrigin, false);
    assertEquals(r(undefined, "https://h/x").sameOrigin, false);
  });
  await t.step("a relative path without base_url is a config error", () => {
    assertThrows(() => r(undefined, "/users"), ConfigError, "no base_url");
  });
});

Deno.test("retry rules", () => {
  assertEquals(["GET", "head", "PUT", "DELETE"].map(isIdempotent), [true, true, true, true]);
  assertEquals(["POST", "PATCH"].map(isIdempotent), [false, false]);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assertEquals(retryAfterMs("3", now), 3000);
  assertEquals(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
  assertEquals(retryAfterMs("soon", now), undefined);
  assertEquals(retryAfterMs(null, now), undefined);
  assertEquals(backoffMs(0, () => 0.999), 249);
  assertEquals(backoffMs(10, () => 0.5), 4000);
  assertEquals(backoffMs(3, () => 0), 0);
});
