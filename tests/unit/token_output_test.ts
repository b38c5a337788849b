import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { formatToken, githubFileCommands, isoTime } from "../../src/ui/token_output.ts";
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

Deno.test("--format github", async (t) => {
  await t.step("the mask is escaped as the runner unescapes command data", () => {
    // The runner turns %25 into %, %0D into CR and %0A into LF: unescaped, "%25" would mask "%".
    const odd = { ...token, accessToken: "tok%25en%0A%0Dx\r\ny%" };
    assertEquals(
      formatToken(odd, "github", "dev"),
      "::add-mask::tok%2525en%250A%250Dx%0D%0Ay%25\n",
    );
    assertEquals(formatToken(token, "github", "dev"), "::add-mask::abc'def\n");
  });
  await t.step("file commands: blocks with the delimiter, which no value may hold", () => {
    assertEquals(githubFileCommands(token, "lmi_d"), {
      env: "LMI_TOKEN<<lmi_d\nabc'def\nlmi_d\nLMI_TOKEN_TYPE<<lmi_d\nBearer\nlmi_d\n",
      output: "token<<lmi_d\nabc'def\nlmi_d\n",
    });
    assertThrows(() => githubFileCommands({ ...token, accessToken: "a\nlmi_d\nX=1" }, "lmi_d"));
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
