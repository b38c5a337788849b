/**
 * Who may be asked to sign in, in process against the fake IdP: kubectl's word in
 * KUBERNETES_EXEC_INFO (`spec.interactive: false` at a terminal: exit 4 at once; `true` at
 * kubectl's terminal, which reads lmi's stdout: the usual offer; a malformed or huge value says
 * nothing), and one sign-in at a time across processes: waiting for the sign-in another lmi
 * holds (its lock held by a real second process), then its session, or taking over from it once.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { IDP, type Result, ssoAppConfig, type World, world } from "../helpers/in_process.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { dataDir, tokenDir } from "../../src/config/paths.ts";
import { AuthError } from "../../src/errors.ts";
import { fileStore } from "../../src/sso/store.ts";
import { accountFor, deleteSession, saveSession, SESSION_VERSION } from "../../src/sso/session.ts";
import { signInFiles, takeSignInTurn, WAITING_NOTICE } from "../../src/sso/sign_in_turn.ts";
import { EXEC_INFO_MAX_CHARS, parseExecInfo } from "../../src/ui/exec_info.ts";
import { lockHeldElsewhere } from "../helpers/files.ts";

const QUESTION = "Sign in again now? [Y/n]";

function execInfo(spec: Record<string, unknown>, apiVersion = "client.authentication.k8s.io/v1") {
  return JSON.stringify({ kind: "ExecCredential", apiVersion, spec });
}

Deno.test("KUBERNETES_EXEC_INFO read as kubectl means it, bounded", () => {
  assertEquals(parseExecInfo(execInfo({ interactive: false })), {
    apiVersion: "client.authentication.k8s.io/v1",
    interactive: false,
  });
  assertEquals(
    parseExecInfo(execInfo({ interactive: true }, "client.authentication.k8s.io/v1beta1")),
    { apiVersion: "client.authentication.k8s.io/v1beta1", interactive: true },
  );
  for (
    const value of [
      undefined,
      "",
      "{",
      "null",
      "[]",
      '"text"',
      "42",
      JSON.stringify({ apiVersion: 1, spec: null }),
      JSON.stringify({ apiVersion: "v1", spec: { interactive: "false" } }),
      JSON.stringify({ spec: [false] }),
      // Longer than the bound: not read at all, whatever it says.
      execInfo({ interactive: false, cluster: { x: "a".repeat(EXEC_INFO_MAX_CHARS) } }),
    ]
  ) {
    assertEquals(parseExecInfo(value), {}, String(value).slice(0, 80));
  }
});

Deno.test("kubectl's interactive: false is a non-interactive run, even at a terminal", async (t) => {
  await using w = await world(ssoAppConfig());
  w.terminal = true;

  await t.step("no question, no browser: exit 4 at once with the command to run", async () => {
    w.env.KUBERNETES_EXEC_INFO = execInfo({ interactive: false });
    w.typed = ["y"];
    const r = await w.lmi("auth", "token", "-e", "app", "--format", "exec-credential");
    assertEquals([r.code, r.stdout], [4, ""], r.stderr);
    assertEquals(
      r.stderr,
      "lmi: error: not signed in: run `lmi login sso`\nhint: not signed in; sign in with lmi login sso\n",
    );
    assertEquals(w.typed, ["y"], "nothing was read from the terminal");
  });
  await t.step("lmi login sso says why it cannot sign in here", async () => {
    const r = await w.lmi("login", "sso");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /cannot sign in here: this run is not interactive \(kubectl said interactive: false in KUBERNETES_EXEC_INFO\)\nhint: run lmi login sso --no-browser/,
    );
  });
  await t.step(
    "interactive: true at kubectl's terminal (it reads stdout): the usual offer",
    async () => {
      w.terminal = "stdin";
      w.env.KUBERNETES_EXEC_INFO = execInfo({ interactive: true });
      w.typed = ["n"];
      const r = await w.lmi("auth", "token", "-e", "app", "--format", "exec-credential");
      assertEquals(r.code, 4, r.stderr);
      assert(
        r.stderr.startsWith(`Your SSO session has expired or is missing. ${QUESTION}`),
        r.stderr,
      );
      assertEquals(w.typed, []);
    },
  );
  await t.step("without kubectl's word, stdout that is not a terminal asks nothing", async () => {
    delete w.env.KUBERNETES_EXEC_INFO;
    w.typed = ["y"];
    const r = await w.lmi("auth", "token", "-e", "app");
    assertEquals(r.code, 4, r.stderr);
    assert(!r.stderr.includes(QUESTION), r.stderr);
    assertEquals(w.typed, ["y"]);
  });
  await t.step("a malformed or huge value says nothing: a terminal is asked as usual", async () => {
    w.terminal = true;
    for (
      const value of [
        "not json",
        "null",
        execInfo({ interactive: "false" }),
        execInfo({ interactive: false, cluster: { x: "a".repeat(EXEC_INFO_MAX_CHARS) } }),
      ]
    ) {
      w.env.KUBERNETES_EXEC_INFO = value;
      w.typed = ["n"];
      const r = await w.lmi("auth", "token", "-e", "app", "--format", "exec-credential");
      assertEquals(r.code, 4, r.stderr);
      assert(r.stderr.includes(QUESTION), `${value.slice(0, 40)}: ${r.stderr}`);
    }
    delete w.env.KUBERNETES_EXEC_INFO;
  });
});

/** Store a session for alice at the fake SSO IdP, valid until 01:00 (the fake clock: 00:00). */
async function signedIn(w: World, token = "sso-at-stored") {
  await saveSession(fileStore(dataDir(fakeDeps({ env: w.env }))!), {
    version: SESSION_VERSION,
    issuer: IDP.ssoIssuer,
    client_id: "lmi",
    access_token: token,
    token_type: "Bearer",
    expires_at: "2026-01-01T01:00:00.000Z",
    user: { sub: "alice" },
    obtained_at: "2026-01-01T00:00:00.000Z",
  });
}

/** The sign-in lock of the fake IdP's session, held by another process until it is killed. */
async function anotherSignIn(w: World) {
  const dir = tokenDir(fakeDeps({ env: w.env }))!;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const files = signInFiles(dir, accountFor(IDP.ssoIssuer));
  const holder = await lockHeldElsewhere(files.lock);
  return {
    /** What that sign-in wrote for the next one. */
    record: (record: object) =>
      Deno.writeTextFile(files.record, JSON.stringify(record), { mode: 0o600 }),
    /** It ends (however: the OS releases its lock). */
    end: () => holder.end(),
  };
}

/** Start `auth token`; resolves once it waits for the other sign-in, with the run under way. */
async function waiting(w: World, ...args: string[]): Promise<{ run: Promise<Result> }> {
  const run = w.lmi("auth", "token", "-e", "app", ...args);
  for (let i = 0; i < 500 && !w.running?.stderr.text().includes(WAITING_NOTICE); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert(
    w.running?.stderr.text().includes(WAITING_NOTICE),
    `it waits for the other sign-in: ${w.running?.stderr.text()}`,
  );
  return { run };
}

/**
 * Another sign-in that leaves `record` for the next one; `auth token` waits for it (answering
 * `typed` if asked), then it ends: what that run did.
 */
async function afterAnotherSignIn(w: World, record: object, typed: string): Promise<Result> {
  const other = await anotherSignIn(w);
  await other.record(record);
  w.typed = [typed];
  const { run } = await waiting(w);
  await other.end();
  return await run;
}

Deno.test("one sign-in at a time: the others wait for it and use its session", async (t) => {
  await using w = await world(ssoAppConfig());
  w.terminal = "stdin";
  w.env.KUBERNETES_EXEC_INFO = execInfo({ interactive: true });
  const store = fileStore(dataDir(fakeDeps({ env: w.env }))!);

  await t.step("said once; the session it stored is used, nothing asked", async () => {
    const other = await anotherSignIn(w);
    w.typed = ["y"];
    const { run } = await waiting(w, "--format", "exec-credential");
    await signedIn(w);
    await other.end();
    const r = await run;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).status.token, "sso-at-stored");
    assertEquals(r.stderr, `${WAITING_NOTICE}\n`);
    assertEquals(w.typed, ["y"], "nothing was asked");
    await deleteSession(store, { name: "default", issuer: IDP.ssoIssuer, clientId: "lmi" });
  });
  await t.step("kubectl's interactive: false does not wait: exit 4 at once", async () => {
    const other = await anotherSignIn(w);
    try {
      w.env.KUBERNETES_EXEC_INFO = execInfo({ interactive: false });
      const r = await w.lmi("auth", "token", "-e", "app");
      assertEquals(r.code, 4, r.stderr);
      assert(!r.stderr.includes("waiting"), r.stderr);
    } finally {
      w.env.KUBERNETES_EXEC_INFO = execInfo({ interactive: true });
      await other.end();
    }
  });
  await t.step("it ended without a session: this lmi takes over, asking first", async () => {
    const r = await afterAnotherSignIn(w, { takeover: false }, "n");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /^lmi: waiting for the sign-in another lmi started…\nThe sign-in another lmi started ended without a session; signing in here\nYour SSO session has expired or is missing\. Sign in again now\? \[Y\/n\] \n/,
    );
    assertEquals(w.typed, []);
  });
  await t.step("a person declined it: the others give up without asking", async () => {
    // The previous step's "n" left this record: a takeover, declined.
    const r = await afterAnotherSignIn(w, { takeover: false, declined: true }, "y");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /lmi: error: the sign-in another lmi offered was declined: run `lmi login sso`/,
    );
    assertEquals(w.typed, ["y"]);
  });
  await t.step("it had taken over itself: at most one takeover, the rest give up", async () => {
    const r = await afterAnotherSignIn(w, { takeover: true }, "y");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /lmi: error: the sign-in another lmi started ended without a session: run `lmi login sso`\nhint: two sign-ins in a row failed or were cancelled/,
    );
    assertEquals(w.typed, ["y"]);
  });
  await t.step("waiting is bounded: exit 4 naming what it waited for", async () => {
    const other = await anotherSignIn(w);
    try {
      const deps = fakeDeps({ env: w.env });
      const err = await assertRejects(
        () =>
          takeSignInTurn(
            { deps, log: testLogger(deps) },
            accountFor(IDP.ssoIssuer),
            300,
            "lmi login sso lab",
          ),
        AuthError,
      );
      assertEquals(err.exitCode, 4);
      assertMatch(err.message, /gave up after 300ms waiting for the sign-in another lmi started/);
      assertEquals(err.hint, "finish or cancel that sign-in, then run lmi login sso lab");
      assertEquals(deps.stderr.text(), `${WAITING_NOTICE}\n`);
    } finally {
      await other.end();
    }
  });
});
