import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { formatToken, isoTime } from "../../src/ui/token_output.ts";
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

Deno.test("isoTime is toISOString", () => {
  const times = [
    0,
    -1,
    1,
    253402300799999,
    253402300800000,
    -62167219200000,
    -62167219200001,
    8.64e15,
    -8.64e15,
  ];
  for (let i = 0; i < 2000; i++) times.push(Math.floor((Math.random() - 0.3) * 4e14));
  for (const ms of times) assertEquals(isoTime(ms), new Date(ms).toISOString(), String(ms));
  assertThrows(() => isoTime(NaN), RangeError);
  assertThrows(() => isoTime(8.64e15 + 1), RangeError);
});
