/** The subject token's source is part of the cache fingerprint; the token itself never is. */
import { assertEquals, assertNotEquals } from "../helpers/assert.ts";
import type { ResolvedAuth } from "../../src/config/resolve.ts";
import { fingerprint } from "../../src/tokens/token_set.ts";

function auth(subject: ResolvedAuth["subjectToken"]): ResolvedAuth {
  const a: ResolvedAuth = {
    type: "jwt_bearer",
    issuer: "https://idp.example.com",
    clientId: "ci",
    clientAuth: "none",
    scopes: ["api.read"],
    extraParams: {},
    refreshMarginMs: 60_000,
    verifyAccessToken: "auto",
  };
  if (subject) a.subjectToken = subject;
  return a;
}

Deno.test("fingerprint: the subject token source counts, its value does not", async (t) => {
  const envSource = (value: string) => ({
    kind: "env" as const,
    token: { variable: "CI_ID_TOKEN", value },
  });
  await t.step("a new token in the same variable keeps the cached token", async () => {
    assertEquals(
      await fingerprint(auth(envSource("eyJ.one.x"))),
      await fingerprint(auth(envSource("eyJ.two.y"))),
    );
  });
  await t.step("another file, variable or audience is another token", async () => {
    const prints = await Promise.all([
      fingerprint(auth(envSource("t"))),
      fingerprint(auth({ kind: "env", token: { variable: "OTHER" } })),
      fingerprint(auth({ kind: "file", path: "/a" })),
      fingerprint(auth({ kind: "file", path: "/b" })),
      fingerprint(auth({
        kind: "github_actions",
        audience: "x",
        requestUrl: { variable: "U" },
        requestToken: { variable: "T" },
      })),
      fingerprint(auth(undefined)),
    ]);
    assertEquals(new Set(prints).size, prints.length);
    assertNotEquals(prints[0], prints[5]);
  });
});
