/**
 * The pure parts of issue 9's network fixes, without a network: token responses turned into
 * plain data (lifetimes, token characters), server text made safe for a terminal, and bodies
 * read with a size limit and a watchdog.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { MAX_TOKEN_LIFETIME_S, toTokenResponse } from "../../src/oauth/grants.ts";
import { snippet } from "../../src/oauth/errors.ts";
import { safeText } from "../../src/ui/text.ts";
import { readBounded, type StallReason, watchStream } from "../../src/http/body.ts";
import { AuthError } from "../../src/errors.ts";

function refused(response: Record<string, unknown>): AuthError {
  try {
    toTokenResponse(response);
  } catch (err) {
    assert(err instanceof AuthError, String(err));
    assertEquals(err.exitCode, 4);
    return err;
  }
  throw new Error(`accepted ${JSON.stringify(response)}`);
}

Deno.test("token responses as plain data", async (t) => {
  await t.step("an absurd lifetime is one year, with a note", () => {
    const notes: string[] = [];
    const r = toTokenResponse(
      { access_token: "a", token_type: "bearer", expires_in: 1e300 },
      (n) => notes.push(n),
    );
    assertEquals(r.expires_in, MAX_TOKEN_LIFETIME_S);
    assertMatch(notes[0]!, /more than a year/);
  });
  await t.step("a negative, zero, NaN or non-number lifetime is absent, with a note", () => {
    for (const expires_in of [-5, 0, NaN, Infinity, "soon"]) {
      const notes: string[] = [];
      const r = toTokenResponse({ access_token: "a", expires_in }, (n) => notes.push(n));
      assertEquals(r.expires_in, undefined);
      assertEquals(notes.length, 1);
    }
  });
  await t.step("Bearer tokens are b64token; other types printable ASCII without spaces", () => {
    assertEquals(
      toTokenResponse({ access_token: "eyJ.a-b_c~+/==", token_type: "bearer" }).access_token,
      "eyJ.a-b_c~+/==",
    );
    assertEquals(toTokenResponse({ access_token: "a:b", token_type: "N_A" }).access_token, "a:b");
    assertMatch(refused({ access_token: "abc\r\nX-Evil: 1" }).message, /RFC 6750/);
    refused({ access_token: "a b", token_type: "Bearer" });
    refused({ access_token: "a:b", token_type: "Bearer" });
    refused({ access_token: "a\x7fb", token_type: "DPoP" });
    refused({ access_token: "a", token_type: "Bear er" });
  });
  await t.step("refresh and ID tokens may not hold control characters", () => {
    refused({ access_token: "a", refresh_token: "r\n" });
    refused({ access_token: "a", id_token: "x\x1b[2J" });
  });
  await t.step("the refusal never quotes the token", () => {
    const err = refused({ access_token: "secret-part\r\nX: 1" });
    assert(!err.message.includes("secret-part"));
  });
});

Deno.test("server text on a terminal: escapes and controls removed, capped", () => {
  assertEquals(safeText("a\x1b[31mred\x1b[0m\r\nb\x07", 100), "ared b");
  assertEquals(safeText("\x1b]8;;https://evil/\x1b\\link\x1b]8;;\x1b\\", 100), "link");
  assertEquals(safeText("\x1b]0;title\x07after", 100), "after");
  assertEquals(safeText("\u202eevil", 100), "evil");
  assertEquals(safeText("x".repeat(500), 200), `${"x".repeat(200)}…`);
  assertEquals(snippet("\x1b[0m"), "(empty body)");
});

function streamOf(chunks: string[], then?: "stall" | "fail"): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) return c.enqueue(enc.encode(chunks[i++]!));
      if (then === "fail") return c.error(new Error("connection reset"));
      if (then === "stall") return new Promise(() => {});
      c.close();
    },
  });
}

Deno.test("bodies read with a limit and a watchdog", async (t) => {
  await t.step("readBounded stops past the limit and says so", async () => {
    const all = await readBounded(streamOf(["abc", "def"]), 6);
    assertEquals([new TextDecoder().decode(all.bytes), all.complete], ["abcdef", true]);
    const cut = await readBounded(streamOf(["abc", "def", "g"]), 6);
    assertEquals(cut.complete, false);
  });
  const fail = (r: StallReason) => new Error(r.kind);
  const read = (s: ReadableStream<Uint8Array>) => new Response(s).text();
  const failure = (s: ReadableStream<Uint8Array>) =>
    read(s).then(() => "none", (e: Error) => e.message);
  await t.step("a quiet body ends with the idle reason", async () => {
    assertEquals(
      await failure(watchStream(streamOf(["a"], "stall"), { idleMs: 20, fail })),
      "idle",
    );
  });
  await t.step("a body past its deadline ends with the deadline reason", async () => {
    assertEquals(
      await failure(watchStream(streamOf(["a"], "stall"), { totalMs: 20, fail })),
      "deadline",
    );
  });
  await t.step("a body that breaks off ends with the failure", async () => {
    assertEquals(
      await failure(watchStream(streamOf(["a"], "fail"), { idleMs: 1000, fail })),
      "failed",
    );
  });
  await t.step("a body that arrives is passed on whole", async () => {
    assertEquals(await read(watchStream(streamOf(["a", "b"]), { idleMs: 1000, fail })), "ab");
  });
});
