/**
 * Signing in without a browser on this machine (`lmi login sso --no-browser`), in process against
 * the fake SSO IdP: the address the browser ended on, pasted on stdin, is checked as a redirect is
 * (redirect URI, `iss` per RFC 9207, `state`, the IdP's error) and signs in; lines that are not an
 * address of lmi's redirect URI are said so and the wait goes on; a closed stdin is no answer; the
 * loopback redirect still counts, whichever comes first. The pure parts (what a line is, the
 * authorization response check, the line reader) without the CLI.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { IDP, ssoAppConfig, world } from "../helpers/in_process.ts";
import type { FakeDeps } from "../helpers/fakes.ts";
import { MAX_PASTE_BYTES, readPastedLine } from "../../src/sso/paste.ts";
import { checkAuthorizationResponse } from "../../src/oauth/user_grants.ts";
import { AuthError } from "../../src/errors.ts";
import { lineReader } from "../../src/util/line_reader.ts";

/** The authorization URL the run printed (waiting until it has). */
async function printedUrl(run: FakeDeps): Promise<URL> {
  for (let i = 0; i < 200; i++) {
    const m = /^ {2}(https:\/\/\S+\/auth\?\S+)$/m.exec(run.stderr.text());
    if (m) return new URL(m[1]!);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no authorization URL in:\n${run.stderr.text()}`);
}

/** A line of stdin made from the authorization URL once lmi printed it (a pasted address). */
function paste(line: (authorizationUrl: URL) => string) {
  return async (run: FakeDeps) => line(await printedUrl(run));
}

/** `url` with its query parameters changed (`undefined` removes one). */
function edited(url: URL, changes: Record<string, string | undefined>): string {
  const out = new URL(url);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) out.searchParams.delete(key);
    else out.searchParams.set(key, value);
  }
  return out.href;
}

const LOGIN = ["login", "sso", "--no-browser", "--timeout", "5s"];
const PROMPT = "To sign in to lmi, open this URL in a browser:\n  https://sso.example/auth?";
const PASTE_HERE = "If the browser is on another machine, the page it ends on will not load: " +
  "paste that page's address here.\n";
const SIGNED_IN = "Signed in to https://sso.example as alice@example.com (session kept in the file";

Deno.test("a pasted address signs in", async (t) => {
  await using w = await world(ssoAppConfig());

  await t.step(
    "from a pipe: the prompt on stderr, the session stored, nothing on stdout",
    async () => {
      let code = "";
      w.typed = [paste((url) => {
        const back = w.authorize(url);
        code = back.searchParams.get("code")!;
        return back.href;
      })];
      const r = await w.lmi(...LOGIN, "-vv");
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "");
      assert(r.stderr.includes(PROMPT), r.stderr);
      assert(r.stderr.includes(PASTE_HERE), r.stderr);
      assert(r.stderr.includes(SIGNED_IN), r.stderr);
      assertEquals(w.codeExchanges, 1);
      // The code was exchanged (-vv shows that request) and never shown.
      assertMatch(r.stderr, /> POST https:\/\/sso\.example\/token/);
      assert(code !== "" && !r.stderr.includes(code), "the code is never printed");
      const status = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
      assertEquals(status.sso.user.email, "alice@example.com");
    },
  );

  await t.step(
    "blank lines are skipped; a line that is no address, or one for another redirect, is said so and the wait goes on",
    async () => {
      w.typed = [
        "",
        "   ",
        "hello",
        paste((url) => {
          const elsewhere = new URL(w.authorize(url));
          elsewhere.port = "1";
          return elsewhere.href;
        }),
        paste((url) => {
          const elsewhere = new URL(w.authorize(url));
          elsewhere.pathname = "/other";
          return elsewhere.href;
        }),
        "x".repeat(MAX_PASTE_BYTES + 1),
        paste((url) => `  ${w.authorize(url).href}\r`),
      ];
      const r = await w.lmi(...LOGIN);
      assertEquals(r.code, 0, r.stderr);
      const redirect = (await printedUrl(w.running!)).searchParams.get("redirect_uri")!;
      const warnings = r.stderr.split("\n").filter((l) => l.startsWith("lmi: warning:"));
      assertEquals(warnings, [
        "lmi: warning: that is not a web address: paste the whole address from the browser's " +
        `address bar (it starts with ${redirect})`,
        "lmi: warning: that address goes to http://127.0.0.1:1/callback, not to this sign-in's " +
        `${redirect}: open the URL above and paste the address the browser ends on`,
        `lmi: warning: that address goes to ${
          redirect.replace("/callback", "/other")
        }, not to this sign-in's ${redirect}: open the URL above and paste the address the ` +
        "browser ends on",
        "lmi: warning: that line is longer than 8 KiB, too long for the address lmi waits for " +
        `(it starts with ${redirect})`,
      ]);
      assert(r.stderr.includes(SIGNED_IN), r.stderr);
    },
  );

  await t.step("the address without its scheme, as some address bars show it", async () => {
    w.typed = [paste((url) => w.authorize(url).href.replace(/^http:\/\//, ""))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 0, r.stderr);
  });
});

Deno.test("a pasted address that fails a redirect's checks: exit 4, nothing stored", async (t) => {
  await using w = await world(ssoAppConfig());
  const signedOut = async () => {
    assertEquals((await w.lmi("auth", "status")).code, 1, "no session was stored");
    assertEquals(w.codeExchanges, 0, "no code was exchanged");
  };
  const AGAIN = "hint: run lmi login sso --no-browser again, open the URL it prints and paste " +
    "the whole address that browser ends on\n";

  await t.step("another sign-in's state", async () => {
    w.typed = [paste((url) => edited(w.authorize(url), { state: "another-sign-in" }))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assert(
      r.stderr.endsWith(
        "lmi: error: the pasted address is the answer to another sign-in (its state is not " +
          `this one's)\n${AGAIN}`,
      ),
      r.stderr,
    );
    assert(!r.stderr.includes("another-sign-in"), "the pasted values are not repeated");
    await signedOut();
  });
  await t.step("no state", async () => {
    w.typed = [paste((url) => edited(w.authorize(url), { state: undefined }))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /lmi: error: the pasted address has no state: it is not the answer/);
    await signedOut();
  });
  await t.step("another issuer (RFC 9207 mix-up)", async () => {
    w.typed = [paste((url) => edited(w.authorize(url), { iss: "https://evil.example\x1b[31m" }))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assert(
      r.stderr.includes(
        'lmi: error: the pasted address is from another issuer (iss "https://evil.example", ' +
          'not "https://sso.example"; RFC 9207)\n',
      ),
      r.stderr,
    );
    await signedOut();
  });
  await t.step("no iss from an IdP whose metadata says it sends one", async () => {
    w.typed = [paste((url) => edited(w.authorize(url), { iss: undefined }))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /lmi: error: the pasted address has no iss, which this IdP sends with every answer \(RFC 9207\)/,
    );
    await signedOut();
  });
  await t.step("no code", async () => {
    w.typed = [paste((url) => edited(w.authorize(url), { code: undefined }))];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /lmi: error: the pasted address holds no authorization code\n/);
    await signedOut();
  });
  await t.step("the IdP's error: its description, made safe", async () => {
    w.typed = [paste((url) =>
      edited(w.authorize(url), {
        code: undefined,
        error: "access_denied",
        error_description: "The user\x1b]0;pwned\x07 said\r\nno",
      })
    )];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assert(
      r.stderr.endsWith(
        "lmi: error: the IdP refused the sign-in (access_denied: The user said no)\n" +
          "hint: sign in again and approve the request\n",
      ),
      r.stderr,
    );
    await signedOut();
  });
});

Deno.test("stdin that gives no address: the loopback redirect, or the timeout", async (t) => {
  await using w = await world(ssoAppConfig());

  await t.step("a closed stdin is no answer: the wait goes on until --timeout", async () => {
    w.typed = [];
    const r = await w.lmi("login", "sso", "--no-browser", "--timeout", "1s", "-v");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /lmi: stdin ended: waiting for the browser to come back to http:\/\//);
    assertMatch(r.stderr, /lmi: error: nobody completed the sign-in within 1s\nhint: /);
    assert(!r.stderr.includes("warning"), r.stderr);
  });

  await t.step("garbage, then a closed stdin: said once, then --timeout", async () => {
    w.typed = ["not an address"];
    const r = await w.lmi("login", "sso", "--no-browser", "--timeout", "1s");
    assertEquals(r.code, 4, r.stderr);
    assertEquals(r.stderr.match(/lmi: warning: that is not a web address/g)?.length, 1);
    assertMatch(r.stderr, /nobody completed the sign-in within 1s/);
  });

  await t.step("the browser comes back to the loopback while stdin stays silent", async () => {
    let page: Promise<string> | undefined;
    w.typed = [async (run) => {
      const back = w.authorize(await printedUrl(run));
      page = fetch(back).then((res) => res.text());
      return await new Promise<never>(() => {});
    }];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stderr.includes(SIGNED_IN), r.stderr);
    assertMatch(await page!, /Signed in to lmi as <strong>alice@example\.com<\/strong>/);
  });

  await t.step("the loopback checks iss too: another issuer's answer is refused", async () => {
    let page: Promise<Response> | undefined;
    w.typed = [async (run) => {
      const back = edited(w.authorize(await printedUrl(run)), { iss: IDP.ssoDeviceIssuer });
      page = fetch(back);
      return await new Promise<never>(() => {});
    }];
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /lmi: error: the redirect to lmi is from another issuer/);
    const res = await page!;
    assertEquals(res.status, 400);
    assertMatch(await res.text(), /Sign-in failed: the redirect to lmi is from another issuer/);
  });
});

Deno.test("what a pasted line is to a sign-in (no I/O)", async (t) => {
  const redirect = "http://127.0.0.1:4242/callback";
  await t.step("an address of the redirect URI: lmi's redirect URI with its query", () => {
    const line = readPastedLine(
      `http://user@127.0.0.1:4242/callback?code=c&state=s#frag`,
      redirect,
    );
    assertEquals(line.kind, "answer");
    assert(line.kind === "answer");
    assertEquals(line.url.href, `${redirect}?code=c&state=s`);
  });
  await t.step("blank, not an address, another scheme, another host", () => {
    assertEquals(readPastedLine(" \t", redirect), { kind: "blank" });
    assertEquals(readPastedLine("code=abc", redirect).kind, "not-an-answer");
    assertEquals(readPastedLine("javascript:alert(1)", redirect).kind, "not-an-answer");
    assertEquals(
      readPastedLine("https://127.0.0.1:4242/callback?code=c", redirect).kind,
      "not-an-answer",
    );
    assertEquals(
      readPastedLine("http://localhost:4242/callback?code=c", redirect).kind,
      "not-an-answer",
    );
  });
  await t.step("the message never holds the query (the code)", () => {
    const line = readPastedLine("http://127.0.0.1:1/callback?code=secret-code", redirect);
    assert(
      line.kind === "not-an-answer" && !line.why.includes("secret-code"),
      JSON.stringify(line),
    );
  });
});

Deno.test("the authorization response check (RFC 6749 §4.1.2, RFC 9207)", async (t) => {
  const expected = { issuer: "https://idp.example", issRequired: false, state: "s1" };
  const check = (query: string, issRequired = false) =>
    checkAuthorizationResponse(
      new URL(`http://127.0.0.1:1/callback?${query}`),
      { ...expected, issRequired },
      "the answer",
      "try again",
    );
  await t.step("a code with the state; iss when sent must be the issuer", () => {
    assertEquals(check("code=c&state=s1").kind, "code");
    assertEquals(check("code=c&state=s1&iss=https%3A%2F%2Fidp.example", true).kind, "code");
    assertThrows(() => check("code=c&state=s1&iss=https%3A%2F%2Fidp.example%2F"), AuthError);
    assertThrows(() => check("code=c&state=s1", true), AuthError);
  });
  await t.step("iss is checked before the IdP's error is believed", () => {
    assertEquals(check("error=access_denied&state=s1"), { kind: "error", error: "access_denied" });
    assertThrows(() => check("error=access_denied&state=s1&iss=https%3A%2F%2Fx"), AuthError);
    assertThrows(() => check("error=access_denied&state=s2"), AuthError);
  });
  await t.step("exit 4 with a stable code", () => {
    try {
      check("code=c&state=s2");
      assert(false, "refused");
    } catch (err) {
      assert(err instanceof AuthError);
      assertEquals([err.code, err.exitCode, err.hint], ["AUTH_RESPONSE_INVALID", 4, "try again"]);
    }
  });
});

Deno.test("stdin lines, from a terminal or a pipe, bounded", async (t) => {
  const source = (...chunks: string[]) => {
    const bytes = chunks.map((c) => new TextEncoder().encode(c));
    return {
      read(p: Uint8Array) {
        const next = bytes.shift();
        if (next === undefined) return Promise.resolve(null);
        if (next.length > p.length) {
          bytes.unshift(next.subarray(p.length));
          p.set(next.subarray(0, p.length));
          return Promise.resolve(p.length);
        }
        p.set(next);
        return Promise.resolve(next.length);
      },
    };
  };
  await t.step("several lines in one read, a line over several, CRLF, the end", async () => {
    const readLine = lineReader(source("one\ntw", "o\r\n\nthr", "ee"));
    assertEquals(
      [await readLine(), await readLine(), await readLine(), await readLine(), await readLine()],
      ["one", "two", "", "three", null],
    );
    assertEquals(await readLine(), null, "the end stays the end");
  });
  await t.step("a long line: its first maxBytes + 1 bytes, the rest skipped", async () => {
    const readLine = lineReader(source(`${"a".repeat(10_000)}\nnext\n`));
    assertEquals(await readLine(16), "a".repeat(17));
    assertEquals(await readLine(16), "next");
  });
  await t.step("calls at once take lines in turn", async () => {
    const readLine = lineReader(source("a\nb\n"));
    assertEquals(await Promise.all([readLine(), readLine(), readLine()]), ["a", "b", null]);
  });
});

Deno.test("pasting on a terminal: no line redrawn over it; Ctrl-C still ends the wait", async () => {
  await using w = await world(ssoAppConfig());
  w.terminal = true;
  w.typed = [() => new Promise<never>(() => {})];
  const run = w.lmi("login", "sso", "--no-browser", "--timeout", "3s");
  await printedUrl(w.running!);
  await new Promise((r) => setTimeout(r, 1200));
  const heard = w.running!.interrupt();
  const r = await run;
  assert(heard, "the wait listens for Ctrl-C");
  assertEquals(r.code, 130, r.stderr);
  assert(!r.stderr.includes("\r"), JSON.stringify(r.stderr));
  assert(r.stderr.includes(`${PASTE_HERE}\n`), JSON.stringify(r.stderr));
});
