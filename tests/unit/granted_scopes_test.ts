/** Which requested scopes a token response did not grant (src/oauth/granted_scopes.ts). */
import { assertEquals } from "../helpers/assert.ts";
import {
  ungrantedScopes,
  ungrantedScopesWarning,
  unlistedScopes,
  unlistedScopesWarning,
} from "../../src/oauth/granted_scopes.ts";

Deno.test("scopes not granted", async (t) => {
  const asked = ["api.read", "api.wirte"];
  await t.step("an omitted scope means as requested (RFC 6749 §5.1)", () => {
    assertEquals(ungrantedScopes(asked, {}), []);
    assertEquals(ungrantedScopesWarning(asked, {}, 'env "dev"'), undefined);
  });
  await t.step("an empty scope says nothing either", () => {
    assertEquals(ungrantedScopes(asked, { scope: "" }), []);
  });
  await t.step("a scope that lacks some: those, in the order asked", () => {
    assertEquals(ungrantedScopes(["b", "a", "c", "a"], { scope: "c x" }), ["b", "a"]);
    assertEquals(
      ungrantedScopesWarning(asked, { scope: "api.read" }, 'env "dev"'),
      'the IdP did not grant the scope "api.wirte" for env "dev" (requested "api.read api.wirte", ' +
        'granted "api.read")',
    );
    assertEquals(
      ungrantedScopesWarning(["a", "b", "c"], { scope: "c" }, "the SSO session"),
      'the IdP did not grant the scopes "a", "b" for the SSO session (requested "a b c", ' +
        'granted "c")',
    );
  });
  await t.step("an ID token stands for the OIDC scopes, a refresh token for offline access", () => {
    const sso = ["openid", "profile", "email", "offline_access", "groups"];
    assertEquals(ungrantedScopes(sso, { scope: "groups" }), [
      "openid",
      "profile",
      "email",
      "offline_access",
    ]);
    assertEquals(
      ungrantedScopes(sso, { scope: "groups", id_token: "x", refresh_token: "y" }),
      [],
    );
    assertEquals(ungrantedScopes(sso, { scope: "openid", id_token: "x" }), [
      "offline_access",
      "groups",
    ]);
  });
  await t.step("what the IdP wrote is shown printable", () => {
    assertEquals(
      ungrantedScopesWarning(["a"], { scope: "b\x1b[31m" }, 'env "x"'),
      'the IdP did not grant the scope "a" for env "x" (requested "a", granted "b")',
    );
  });
});

Deno.test("scopes the IdP does not list, when its answer says nothing", async (t) => {
  const supported = ["openid", "api.read", "api.write"];
  await t.step("a requested scope missing from scopes_supported: named", () => {
    assertEquals(unlistedScopes(["api.raed"], {}, supported), ["api.raed"]);
    assertEquals(unlistedScopes(["api.raed"], { scope: "" }, supported), ["api.raed"]);
  });
  await t.step("a response that says what it granted: the other rule decides", () => {
    assertEquals(unlistedScopes(["api.raed"], { scope: "api.read" }, supported), []);
  });
  await t.step("no list, or OIDC scopes and offline_access: nothing", () => {
    assertEquals(unlistedScopes(["api.raed"], {}, undefined), []);
    assertEquals(unlistedScopes(["profile", "offline_access", "api.read"], {}, supported), []);
  });
  await t.step("the warning", () => {
    assertEquals(
      unlistedScopesWarning(["api.raed"], {}, supported, 'env "dev"'),
      'the IdP does not list the scope "api.raed" (env "dev") among those it supports, and did ' +
        'not say which it granted: check the name (it lists "openid", "api.read", "api.write")',
    );
  });
});
