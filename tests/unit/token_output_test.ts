import { assertEquals } from "../helpers/assert.ts";
import { formatToken } from "../../src/ui/token_output.ts";
import type { TokenSet } from "../../src/tokens/service.ts";

const token: TokenSet = {
  accessToken: "abc'def",
  tokenType: "bearer",
  expiresAt: Date.parse("2026-01-01T01:00:00.000Z"),
  obtainedAt: Date.parse("2026-01-01T00:00:00.000Z"),
  scope: "api.read",
};

Deno.test("token output formats", async (t) => {
  await t.step("raw and header", () => {
    assertEquals(formatToken(token, "raw", "dev"), "abc'def\n");
    assertEquals(formatToken(token, "header", "dev"), "Authorization: Bearer abc'def\n");
  });
  await t.step("json", () => {
    assertEquals(JSON.parse(formatToken(token, "json", "dev")), {
      env: "dev",
      access_token: "abc'def",
      token_type: "Bearer",
      expires_at: "2026-01-01T01:00:00.000Z",
      scope: "api.read",
    });
  });
  await t.step("env: shell-quoted export lines", () => {
    assertEquals(
      formatToken(token, "env", "dev"),
      "export LMI_TOKEN='abc'\\''def'\nexport LMI_TOKEN_TYPE='Bearer'\n" +
        "export LMI_TOKEN_EXPIRES_AT='2026-01-01T01:00:00.000Z'\nexport LMI_ENV='dev'\n",
    );
  });
  await t.step("exec-credential (Kubernetes)", () => {
    assertEquals(JSON.parse(formatToken(token, "exec-credential", "dev")), {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "abc'def", expirationTimestamp: "2026-01-01T01:00:00Z" },
    });
    assertEquals(
      JSON.parse(
        formatToken(token, "exec-credential", "dev", "client.authentication.k8s.io/v1beta1"),
      ).apiVersion,
      "client.authentication.k8s.io/v1beta1",
    );
  });
});
