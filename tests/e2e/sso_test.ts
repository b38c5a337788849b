/**
 * SSO end to end: `lmi login sso` in a terminal (a pty), the dev IdP's real login page completed
 * in Debian's Chromium (playwright-core), lmi's callback page; then status, SSO-type envs,
 * refresh rotation under parallel use, logout with revocation checked by introspection; parallel
 * kubectl calls needing a sign-in (one browser sign-in, at most one takeover); the device flow;
 * and the ways a sign-in fails.
 */
import { introspect, recordingBrowser, ssoAppToml } from "../helpers/dev_world.ts";
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { NEEDS_PTY, type PtyRun, runInPty as startPty } from "../helpers/pty.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { NEEDS_SECRET_SERVICE, privateKeyring } from "../helpers/keyring.ts";
import { signInWithoutTerminal } from "../helpers/background.ts";
import { fileNameFor } from "../../src/sso/store.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { waitForFile } from "../helpers/files.ts";

const NEEDS = [NEEDS_CHROMIUM, NEEDS_PTY];

/** Every terminal session a test starts, so a failing test cannot leave lmi waiting behind it. */
const started: PtyRun[] = [];
function runInPty(...args: Parameters<typeof startPty>): PtyRun {
  const run = startPty(...args);
  started.push(run);
  return run;
}
async function stopAll() {
  for (const run of started.splice(0)) {
    try {
      run.kill("SIGKILL");
    } catch { /* already ended */ }
    await run.status.catch(() => {});
  }
}

async function ssoWorld(
  idp: DevIdp,
  storeEnv: Record<string, string> = { LMI_KEYRING: "file" },
): Promise<Sandbox & { urlFile: string }> {
  const box = await sandbox({ ...storeEnv, SVC_SECRET: idp.clients.basic.secret });
  const urlFile = await recordingBrowser(box);
  await box.writeConfig(`${ssoAppToml(idp)}
[envs.svc]
base_url = "${idp.apiUrl}"
requires_sso = true
[envs.svc.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.basic.id}"
client_secret_env = "SVC_SECRET"
`);
  return Object.assign(box, { urlFile });
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

/** Fill in the dev IdP's login form as alice; `thenCallback` waits for lmi's callback page. */
async function signInAsAlice(page: Page, idp: DevIdp, thenCallback = true): Promise<void> {
  await page.waitForSelector("#username");
  await page.fill("#username", idp.users.alice.username);
  await page.fill("input[name=password]", idp.users.alice.password);
  if (!thenCallback) return await page.click("button[type=submit]");
  await Promise.all([
    page.waitForURL(/127\.0\.0\.1:\d+\/callback/),
    page.click("button[type=submit]"),
  ]);
}

/** Start `lmi login sso --device` in a terminal and open its verification page in the browser. */
async function startDeviceLogin(box: Sandbox, browser: Awaited<ReturnType<typeof launchChromium>>) {
  const login = runInPty(["login", "sso", "--device"], box.env, box.home);
  const [, complete] = await login.waitFor(/\(or open (\S+)\)/);
  const page = await browser.newPage();
  await page.goto(complete!);
  return { login, page };
}

/** What the private Secret Service holds for the issuer's session (exit code and value). */
async function keychainLookup(env: Record<string, string>, issuer: string) {
  const out = await new Deno.Command("secret-tool", {
    args: ["lookup", "service", "lmi", "account", `sso:${issuer}`],
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, value: new TextDecoder().decode(out.stdout) };
}

const QUESTION = "Sign in again now? [Y/n]";
const WAITING = "waiting for the sign-in another lmi started";

/** KUBERNETES_EXEC_INFO as kubectl sets it for a credential plugin. */
function execInfo(interactive: boolean): string {
  return JSON.stringify({
    kind: "ExecCredential",
    apiVersion: "client.authentication.k8s.io/v1",
    spec: { interactive },
  });
}

/**
 * Wait until one of `runs` asks to sign in and `waiting` others say they wait for it: the one
 * that asks, and those that wait.
 */
async function oneAsksOthersWait(
  runs: PtyRun[],
  waiting: number,
): Promise<{ asker: PtyRun; waiters: PtyRun[] }> {
  const end = Date.now() + 60_000;
  for (;;) {
    const askers = runs.filter((r) => r.output().includes(QUESTION));
    const waiters = runs.filter((r) => r.output().includes(WAITING) && !askers.includes(r));
    if (askers.length === 1 && waiters.length === waiting) return { asker: askers[0]!, waiters };
    if (askers.length > 1 || Date.now() > end) {
      throw new Error(
        `not one asking and ${waiting} waiting:\n${runs.map((r) => r.output()).join("\n---\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How many times lmi opened the browser (the opener's log). */
async function browserOpenings(box: { urlFile: string }): Promise<number> {
  const log = await Deno.readTextFile(`${box.urlFile}.log`).catch(() => "");
  return log.split("\n").filter(Boolean).length;
}

/** When lmi has opened the browser `nth` times: the IdP refuses that sign-in (access_denied). */
async function refuseSignIn(box: { urlFile: string }, nth: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (await browserOpenings(box) < nth) {
    if (Date.now() > end) throw new Error(`the browser was not opened ${nth} times`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const log = await Deno.readTextFile(`${box.urlFile}.log`);
  const url = new URL(log.split("\n").filter(Boolean)[nth - 1]!);
  const callback = new URL(url.searchParams.get("redirect_uri")!);
  callback.search = new URLSearchParams({
    error: "access_denied",
    state: url.searchParams.get("state")!,
  }).toString();
  await (await fetch(callback)).body?.cancel();
}

function sessionFile(box: Sandbox): string {
  return join(box.home, ".local", "share", "lmi", "sso");
}

Deno.test({
  name: "SSO: browser login, status, sso envs, refresh rotation, logout with revocation",
  ignore: ignoreUnless("SSO browser login", ...NEEDS),
  fn: async (t) => {
    await using idp = await startDevIdp();
    await using box = await ssoWorld(idp);
    const browser = await launchChromium();
    try {
      await t.step(
        "not signed in: auth status exits 1; an sso env refuses with exit 4",
        async () => {
          const st = await box.run(["auth", "status"]);
          assertEquals(st.code, 1);
          assertMatch(st.stdout, /not signed in/);
          const tok = await box.run(["auth", "token", "-e", "app"]);
          assertEquals(tok.code, 4);
          assertMatch(tok.stderr, /not signed in: run `lmi login sso`/);
          assertEquals((await box.run(["auth", "token", "-e", "svc"])).code, 4, "requires_sso");
        },
      );
      await t.step("a non-interactive login is refused with exit 4 and a hint", async () => {
        assertEquals(
          (await box.run(["login", "-e", "app"])).code,
          4,
          "login on an sso env is the SSO sign-in",
        );
        const r = await box.run(["login", "sso"]);
        assertEquals(r.code, 4);
        assertMatch(r.stderr, /not interactive/);
        assertMatch(r.stderr, /--device/);
      });
      await t.step(
        "login in the browser: the IdP's login page, then lmi's callback page",
        async () => {
          const login = runInPty(["login", "sso", "--timeout", "60s", "-vv"], box.env, box.home);
          const url = new URL(await waitForFile(box.urlFile));
          assertEquals(url.searchParams.get("code_challenge_method"), "S256");
          assert(url.searchParams.get("state") && url.searchParams.get("nonce"), "state and nonce");
          // Offline access (the default scopes) asks for consent, as OIDC Core 1.0 §11 requires.
          assertMatch(url.searchParams.get("scope")!, /\boffline_access\b/);
          assertEquals(url.searchParams.get("prompt"), "consent");
          assertMatch(
            url.searchParams.get("redirect_uri")!,
            /^http:\/\/127\.0\.0\.1:\d+\/callback$/,
          );
          await login.waitFor(/visit this URL/);
          const page = await browser.newPage();
          // A callback with a wrong state is refused, and lmi keeps waiting.
          const wrong = await page.goto(
            `${url.searchParams.get("redirect_uri")}?code=x&state=not-it`,
          );
          assertEquals(wrong?.status(), 400);
          await page.goto(url.href);
          await signInAsAlice(page, idp);
          await page.waitForSelector("h1");
          const text = await page.textContent("main");
          await page.screenshot({ path: join(box.dir, "callback.png") });
          assertMatch(
            text ?? "",
            /Signed in to lmi as alice@example\.com\. You can close this tab\./,
          );
          assert(!(await page.content()).includes("eyJ"), "no token in the page");
          assertEquals(await login.status, 0, login.output());
          assertMatch(
            login.output(),
            /Signed in to .* as alice@example\.com \(session kept in the file/,
          );
          // -vv showed every HTTP exchange of the sign-in; none of the session's secrets.
          const dir = sessionFile(box);
          const stored = JSON.parse(
            await Deno.readTextFile(join(dir, [...Deno.readDirSync(dir)][0]!.name)),
          );
          assertMatch(login.output(), /lmi: debug: > POST http:\/\/127\.0\.0\.1:\d+\/token/);
          for (const secret of [stored.access_token, stored.refresh_token, stored.id_token]) {
            assert(secret && !login.output().includes(secret), "no token in the -vv output");
          }
          // The person signs out at the IdP in the same browser: its session ends there.
          await page.goto(`${idp.issuer}/session/end`, { waitUntil: "domcontentloaded" });
          await Promise.all([
            page.waitForURL(/\/session\/end\/success/, { waitUntil: "domcontentloaded" }),
            page.click("button[name=logout][value=yes]"),
          ]);
          await page.close();
        },
      );
      await t.step(
        "the refresh token outlives the IdP's browser session (offline access)",
        async () => {
          idp.stats.reset();
          const r = await box.run(["auth", "token", "-e", "app", "--force"]);
          assertEquals(r.code, 0, r.stderr);
          assertEquals(idp.stats.byGrant.refresh_token, 1, "renewed with the refresh token");
        },
      );
      await t.step(
        "auth status shows the user; sso envs call the API with the SSO token",
        async () => {
          const st = await box.run(["auth", "status", "--json"]);
          assertEquals(st.code, 0, st.stderr);
          const doc = JSON.parse(st.stdout);
          assertEquals([doc.sso.signed_in, doc.sso.user.email, doc.sso.user.sub], [
            true,
            "alice@example.com",
            idp.users.alice.sub,
          ]);
          assertMatch(doc.sso.store, /^file/);
          assert(!st.stdout.includes("eyJ"), "status never prints a token");
          const who = await box.run(["request", "-e", "app", "/whoami"]);
          assertEquals(who.code, 0, who.stderr);
          assertEquals(JSON.parse(who.stdout).sub, idp.users.alice.sub);
          assertEquals(
            (await box.run(["auth", "token", "-e", "svc"])).code,
            0,
            "requires_sso is satisfied",
          );
          const files = [...Deno.readDirSync(sessionFile(box))];
          assertEquals(files.length, 1);
          assertEquals(Deno.statSync(join(sessionFile(box), files[0]!.name)).mode! & 0o777, 0o600);
        },
      );
      await t.step(
        "an sso env's API answering 401 gets one refreshed SSO token and one retry",
        async () => {
          idp.stats.reset();
          idp.api.reset();
          idp.api.fail401(1);
          const before = (await box.run(["auth", "token", "-e", "app"])).stdout;
          const r = await box.run(["request", "-e", "app", "/whoami"]);
          assertEquals(r.code, 0, r.stderr);
          assertEquals(idp.stats.byGrant.refresh_token, 1);
          assertEquals(idp.api.requests.length, 2);
          assert(
            (await box.run(["auth", "token", "-e", "app"])).stdout !== before,
            "the session holds the new token",
          );
          const forced = await box.run(["auth", "token", "-e", "app", "--force"]);
          assertEquals(forced.code, 0, forced.stderr);
          assertEquals(idp.stats.byGrant.refresh_token, 2, "--force renews an sso token too");
        },
      );
      await t.step(
        "10 parallel commands needing a refresh make exactly one refresh request",
        async () => {
          const dir = sessionFile(box);
          const file = join(dir, [...Deno.readDirSync(dir)][0]!.name);
          const session = JSON.parse(await Deno.readTextFile(file));
          const oldRefresh = session.refresh_token;
          session.expires_at = new Date(Date.now() - 1000).toISOString();
          await Deno.writeTextFile(file, JSON.stringify(session), { mode: 0o600 });
          idp.stats.reset();
          const runs = await Promise.all(
            Array.from({ length: 10 }, () => box.run(["auth", "token", "-e", "app"])),
          );
          for (const r of runs) assertEquals(r.code, 0, r.stderr);
          assertEquals(idp.stats.byGrant.refresh_token, 1);
          assertEquals(new Set(runs.map((r) => r.stdout)).size, 1);
          const saved = JSON.parse(await Deno.readTextFile(file));
          assert(saved.refresh_token !== oldRefresh, "the rotated refresh token was saved");
        },
      );
      await t.step(
        "logout sso revokes at the IdP (introspection says inactive) and deletes",
        async () => {
          const dir = sessionFile(box);
          const file = join(dir, [...Deno.readDirSync(dir)][0]!.name);
          const session = JSON.parse(await Deno.readTextFile(file));
          assertEquals(await introspect(idp, session.refresh_token), true);
          const out = await box.run(["logout", "sso"]);
          assertEquals(out.code, 0, out.stderr);
          assertMatch(out.stderr, /Signed out/);
          assertEquals(await introspect(idp, session.refresh_token), false);
          assertEquals([...Deno.readDirSync(dir)].length, 0);
          assertEquals((await box.run(["auth", "status"])).code, 1);
        },
      );
      await t.step("in a terminal, a missing session is offered a new sign-in", async () => {
        const declined = runInPty(["auth", "token", "-e", "app"], box.env, box.home);
        await declined.waitFor(/Sign in again now\? \[Y\/n\]/);
        await declined.write("n\n");
        assertEquals(await declined.status, 4);
        await Deno.remove(box.urlFile).catch(() => {});
        const accepted = runInPty(["auth", "token", "-e", "app"], box.env, box.home);
        await accepted.waitFor(/Sign in again now\? \[Y\/n\]/);
        await accepted.write("y\n");
        const url = new URL(await waitForFile(box.urlFile));
        const page = await browser.newPage();
        await page.goto(url.href);
        await signInAsAlice(page, idp);
        await page.close();
        assertEquals(await accepted.status, 0, accepted.output());
        assertMatch(accepted.output(), /eyJ[\w-]+\.[\w-]+\.[\w-]+/);
        assertEquals((await box.run(["logout", "sso"])).code, 0);
      });
      await t.step(
        "five kubectl calls at once open one browser sign-in; the others wait and use it",
        async () => {
          await Deno.remove(box.urlFile).catch(() => {});
          await Deno.remove(`${box.urlFile}.log`).catch(() => {});
          // As kubectl runs a credential plugin with interactiveMode IfAvailable at a terminal:
          // its terminal on stdin and stderr, stdout read by kubectl.
          const env = { ...box.env, KUBERNETES_EXEC_INFO: execInfo(true) };
          const args = ["auth", "token", "-e", "app", "--format", "exec-credential"];
          const outs = Array.from({ length: 5 }, (_, i) => join(box.dir, `kubectl-${i}.json`));
          const calls = outs.map((out) => runInPty(args, env, box.home, { stdoutTo: out }));
          const { asker, waiters } = await oneAsksOthersWait(calls, 4);
          // kubectl's interactive: false neither waits nor asks: exit 4 at once, with the hint.
          const started = Date.now();
          const never = runInPty(
            args,
            { ...box.env, KUBERNETES_EXEC_INFO: execInfo(false) },
            box.home,
          );
          assertEquals(await never.status, 4, never.output());
          assert(Date.now() - started < 20_000, "at once");
          assertMatch(
            never.output(),
            /lmi: error: not signed in: run `lmi login sso`\r?\nhint: [^\n]*sign in with lmi login sso/,
          );
          assert(!/waiting|Sign in again/.test(never.output()), never.output());
          for (const w of waiters) assert(!w.output().includes(QUESTION), w.output());
          await asker.write("y\n");
          const page = await browser.newPage();
          await page.goto(new URL(await waitForFile(box.urlFile)).href);
          await signInAsAlice(page, idp);
          await page.close();
          for (const call of calls) assertEquals(await call.status, 0, call.output());
          const tokens = await Promise.all(
            outs.map(async (out) => JSON.parse(await Deno.readTextFile(out)).status.token),
          );
          assertEquals(new Set(tokens).size, 1, "the same session's token");
          assertMatch(tokens[0], /^eyJ/);
          assertEquals(await browserOpenings(box), 1, "one browser sign-in");
          assertEquals((await box.run(["logout", "sso"])).code, 0);
        },
      );
      await t.step(
        "the sign-in they waited for fails: one takes over, then the rest give up",
        async () => {
          await Deno.remove(`${box.urlFile}.log`).catch(() => {});
          const env = { ...box.env, KUBERNETES_EXEC_INFO: execInfo(true) };
          const calls = Array.from(
            { length: 3 },
            () => runInPty(["auth", "token", "-e", "app"], env, box.home),
          );
          const first = await oneAsksOthersWait(calls, 2);
          await first.asker.write("y\n");
          await refuseSignIn(box, 1);
          assertEquals(await first.asker.status, 4, first.asker.output());
          // The next holder takes over (it says so and asks); the last keeps waiting for it.
          const next = await oneAsksOthersWait(first.waiters, 1);
          await next.asker.waitFor(/ended without a session; signing in here/);
          await next.asker.write("y\n");
          await refuseSignIn(box, 2);
          assertEquals(await next.asker.status, 4, next.asker.output());
          const last = next.waiters[0]!;
          assertEquals(await last.status, 4, last.output());
          assertMatch(
            last.output(),
            /lmi: error: the sign-in another lmi started ended without a session: run `lmi login sso`/,
          );
          assert(!last.output().includes(QUESTION), "the last one asks nothing");
          assertEquals(await browserOpenings(box), 2, "one browser sign-in at a time, two in all");
        },
      );
      await t.step("a corrupt stored session counts as signed out, with a warning", async () => {
        const dir = sessionFile(box);
        const name = fileNameFor(`sso:${idp.issuer}`);
        await Deno.writeTextFile(join(dir, name), '{"version":1,"access_tok', { mode: 0o600 });
        const st = await box.run(["auth", "status"]);
        assertEquals(st.code, 1);
        assertMatch(st.stdout, /not signed in/);
        assertMatch(
          st.stderr,
          /warning: the stored SSO session .* cannot be read; treating it as signed out/,
        );
        await Deno.remove(join(dir, name));
      });
      await t.step(
        "a callback with error=access_denied: exit 4 with the IdP's description",
        async () => {
          await Deno.remove(box.urlFile).catch(() => {});
          const login = runInPty(["login", "sso", "--timeout", "60s"], box.env, box.home);
          const url = new URL(await waitForFile(box.urlFile));
          const page = await browser.newPage();
          const cb = new URL(url.searchParams.get("redirect_uri")!);
          // As oidc-provider answers: with `iss`, which its metadata promises (RFC 9207).
          cb.search = new URLSearchParams({
            error: "access_denied",
            error_description: "The user said no",
            state: url.searchParams.get("state")!,
            iss: idp.issuer,
          }).toString();
          await page.goto(cb.href);
          assertMatch(
            (await page.textContent("main")) ?? "",
            /refused the sign-in \(access_denied: The user said no\)/,
          );
          await page.close();
          assertEquals(await login.status, 4);
          assertMatch(
            login.output(),
            /lmi: error: the IdP refused the sign-in \(access_denied: The user said no\)/,
          );
        },
      );
      await t.step("a login nobody completes ends at --timeout with a clear message", async () => {
        const login = runInPty(
          ["login", "sso", "--no-browser", "--timeout", "1s"],
          box.env,
          box.home,
        );
        assertEquals(await login.status, 4);
        assertMatch(login.output(), /nobody completed the sign-in within 1s/);
        // The redirect URI it waited at, for IdPs that compare redirect URIs exactly.
        assertMatch(login.output(), /hint: [^\n]*http:\/\/127\.0\.0\.1:\d+\/callback/);
      });
      await t.step("a taken fixed redirect port is a usage error naming it", async () => {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (listener.addr as Deno.NetAddr).port;
        try {
          const login = runInPty(
            ["login", "sso", "--no-browser", "--port", String(port)],
            box.env,
            box.home,
          );
          assertEquals(await login.status, 2);
          assertMatch(
            login.output(),
            new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
          );
        } finally {
          listener.close();
        }
      });
    } finally {
      await stopAll();
      await browser.close();
    }
  },
});

Deno.test({
  name: "SSO: the device flow, completed in the browser, session in the real Secret Service",
  ignore: ignoreUnless("SSO device flow", ...NEEDS, NEEDS_SECRET_SERVICE),
  fn: async () => {
    await using idp = await startDevIdp();
    await using keyring = await privateKeyring();
    await using box = await ssoWorld(idp, keyring.env);
    const browser = await launchChromium();
    try {
      const { login, page } = await startDeviceLogin(box, browser);
      await page.click("button[type=submit], input[type=submit]");
      await signInAsAlice(page, idp, false);
      assertEquals(await login.status, 0, login.output());
      await page.close();
      const st = JSON.parse((await box.run(["auth", "status", "--json"])).stdout);
      assertEquals(st.sso.user.email, "alice@example.com");
      assertEquals(st.sso.store, "keychain (Secret Service)");
      assert(
        (await keychainLookup(keyring.env, idp.issuer)).value.length > 0,
        "the session is in the keychain",
      );
      assertEquals((await box.run(["request", "-e", "app", "/whoami"])).code, 0);
      assertEquals((await box.run(["logout", "sso"])).code, 0);
      assertEquals(
        (await keychainLookup(keyring.env, idp.issuer)).code,
        1,
        "logout deleted it from the keychain",
      );
    } finally {
      await stopAll();
      await browser.close();
    }
  },
});

Deno.test({
  name: "SSO: the device flow denied on the other device ends with exit 4",
  ignore: ignoreUnless("SSO device flow denied", ...NEEDS),
  fn: async () => {
    await using idp = await startDevIdp();
    await using box = await ssoWorld(idp);
    const browser = await launchChromium();
    try {
      const { login, page } = await startDeviceLogin(box, browser);
      await page.click("button[name=abort]");
      await page.close();
      assertEquals(await login.status, 4, login.output());
      assertMatch(
        login.output(),
        /lmi: error: the sign-in was denied on the other device\r?\nhint: run lmi login sso --device again/,
      );
    } finally {
      await stopAll();
      await browser.close();
    }
  },
});

Deno.test({
  name: "SSO: a device code nobody uses expires: exit 4 with a clear message",
  ignore: ignoreUnless("SSO device code expiry", NEEDS_PTY),
  fn: async () => {
    await using idp = await startDevIdp({ deviceCodeTtl: 2 });
    await using box = await ssoWorld(idp);
    try {
      const login = runInPty(["login", "sso", "--device"], box.env, box.home);
      await login.waitFor(/enter the code/);
      assertEquals(await login.status, 4, login.output());
      assertMatch(
        login.output(),
        /lmi: error: the device code expired before the sign-in was completed\r?\nhint: run lmi login sso --device again and enter the code sooner/,
      );
    } finally {
      await stopAll();
    }
  },
});

Deno.test({
  name:
    "SSO: an explicit `login sso --device` runs without a terminal and with CI set; --timeout bounds it",
  ignore: ignoreUnless("SSO device flow without a terminal", NEEDS_CHROMIUM),
  fn: async (t) => {
    await using idp = await startDevIdp();
    await using box = await ssoWorld(idp);
    const env = { ...box.env, CI: "true" };
    await t.step("the code on stderr, plain lines, completed in the browser", async () => {
      const login = await signInWithoutTerminal(
        ["login", "sso", "--device", "--timeout", "60s"],
        env,
        box.home,
        async (page, _url, run) => {
          assertMatch(run.stderr(), /To sign in, visit \S+ and enter the code \S+/);
          await page.click("button[type=submit], input[type=submit]");
          await signInAsAlice(page, idp, false);
        },
      );
      assertEquals(await login.status, 0, login.stderr());
      assert(!login.stderr().includes("\r"), "no carriage-return animation");
      assert(!login.stderr().includes("\x1b"), "no escape sequences");
      assertMatch(login.stderr(), /Signed in to .* as alice@example\.com/);
      assertEquals((await box.run(["auth", "token", "-e", "app"], { env })).code, 0);
    });
    await t.step("nobody signs in: --timeout ends the wait with exit 4", async () => {
      const started = Date.now();
      const r = await box.run(["login", "sso", "--device", "--timeout", "2s"], { env });
      assertEquals(r.code, 4, r.stderr);
      assertMatch(r.stderr, /lmi: error: nobody completed the sign-in within 2s\nhint: /);
      assert(Date.now() - started < 20_000, "ended by --timeout, not by the device code's expiry");
    });
    await t.step("--no-browser without a terminal prints the URL and waits", async () => {
      const r = await box.run(["login", "sso", "--no-browser", "--timeout", "1s"], { env });
      assertEquals(r.code, 4, r.stderr);
      assertMatch(
        r.stderr,
        /open this URL in a browser:\n {2}http:\/\/127\.0\.0\.1:\d+\/auth\?/,
      );
      assertMatch(r.stderr, /nobody completed the sign-in within 1s/);
    });
    await t.step("an implicit sign-in stays refused without a terminal", async () => {
      const r = await box.run(["login", "sso"], { env });
      assertEquals(r.code, 4);
      assertMatch(r.stderr, /not interactive[^\n]*\nhint: run lmi login sso --device/);
    });
  },
});

Deno.test({
  name: "SSO: 30 s session tokens are reused for 15 s; parallel commands after expiry refresh once",
  ignore: ignoreUnless("SSO with short-lived tokens", NEEDS_CHROMIUM),
  fn: async (t) => {
    await using idp = await startDevIdp({ accessTokenTtl: 30 });
    await using box = await ssoWorld(idp);
    const env = { ...box.env, CI: "true" };
    const login = await signInWithoutTerminal(
      ["login", "sso", "--device", "--timeout", "60s"],
      env,
      box.home,
      async (page) => {
        await page.click("button[type=submit], input[type=submit]");
        await signInAsAlice(page, idp, false);
      },
    );
    assertEquals(await login.status, 0, login.stderr());
    const dir = sessionFile(box);
    const file = join(dir, [...Deno.readDirSync(dir)][0]!.name);

    await t.step("5 sequential commands use the session's token: no refresh", async () => {
      // A fresh 30 s token to start from (the sign-in took a while).
      const renewed = await box.run(["auth", "token", "-e", "app", "--force", "-v"], { env });
      assertEquals(renewed.code, 0, renewed.stderr);
      assertMatch(
        renewed.stderr,
        /lmi: the SSO session's token was issued for 30s, less than twice the SSO refresh margin \(1m00s\): it is renewed when 15s are left/,
      );
      idp.stats.reset();
      for (let i = 0; i < 5; i++) {
        const r = await box.run(["auth", "token", "-e", "app"], { env });
        assertEquals([r.code, r.stdout], [0, renewed.stdout], r.stderr);
      }
      assertEquals(idp.stats.tokenRequests, 0);
    });

    await t.step("10 parallel commands after expiry make one refresh request", async () => {
      const session = JSON.parse(await Deno.readTextFile(file));
      session.expires_at = new Date(Date.now() - 1000).toISOString();
      await Deno.writeTextFile(file, JSON.stringify(session), { mode: 0o600 });
      idp.stats.reset();
      const runs = await Promise.all(
        Array.from({ length: 10 }, () => box.run(["auth", "token", "-e", "app"], { env })),
      );
      for (const r of runs) assertEquals(r.code, 0, r.stderr);
      assertEquals(idp.stats.byGrant.refresh_token, 1);
      assertEquals(new Set(runs.map((r) => r.stdout)).size, 1);
    });

    await t.step(
      "--min-ttl longer than the token's lifetime: refreshed, with a warning",
      async () => {
        idp.stats.reset();
        const r = await box.run(["auth", "token", "-e", "app", "--min-ttl", "1m"], { env });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /less than --min-ttl 1m00s \(the IdP's token lifetime is shorter\)/);
        assertEquals(idp.stats.byGrant.refresh_token, 1);
      },
    );
  },
});
