/**
 * Step-up end to end against the dev IdP, signing in in Debian's Chromium: an API asking for a
 * stronger, more recent sign-in (RFC 9470) makes `lmi request` exit 4 with a command; running
 * that command signs in again with `acr_values` and `max_age` (the IdP asks for the password
 * again although its browser session is alive), and the request then passes; `lmi auth status`
 * shows the sign-in's acr and time. Likewise for a scope the token lacks (RFC 6750 §3.1).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { NEEDS_PTY, type PtyRun, runInPty } from "../helpers/pty.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { recordingBrowser, ssoAppToml } from "../helpers/dev_world.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { waitForFile } from "../helpers/files.ts";

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Awaited<ReturnType<Browser["newContext"]>>["newPage"]>>;

/** A home whose `BROWSER` writes the URL it is given to `urlFile`; env `app` of type sso. */
async function stepUpWorld(idp: DevIdp): Promise<Sandbox & { urlFile: string }> {
  const box = await sandbox({ LMI_KEYRING: "file" });
  const urlFile = await recordingBrowser(box);
  await box.writeConfig(ssoAppToml(idp));
  return Object.assign(box, { urlFile });
}

/**
 * Run `lmi <args>` (a sign-in) in a terminal and complete it in `page`: the login form when the
 * IdP shows it (says whether it did), then lmi's callback page.
 */
async function signIn(
  box: Sandbox & { urlFile: string },
  idp: DevIdp,
  page: Page,
  args: string[],
): Promise<{ url: URL; form: boolean; run: PtyRun }> {
  await Deno.remove(box.urlFile).catch(() => {});
  const run = runInPty([...args, "--timeout", "60s"], box.env, box.home);
  try {
    const url = new URL(await waitForFile(box.urlFile));
    await page.goto(url.href);
    const callback = /127\.0\.0\.1:\d+\/callback/;
    const form = await Promise.race([
      page.waitForSelector("#username").then(() => true),
      page.waitForURL(callback).then(() => false),
    ]);
    if (form) {
      await page.fill("#username", idp.users.alice.username);
      await page.fill("input[name=password]", idp.users.alice.password);
      await Promise.all([page.waitForURL(callback), page.click("button[type=submit]")]);
    }
    await page.waitForSelector("h1");
    assertEquals(await run.status, 0, run.output());
    return { url, form, run };
  } catch (err) {
    try {
      run.kill("SIGKILL");
    } catch { /* ended */ }
    throw err;
  }
}

/** The command a step-up hint names, as arguments after `lmi`. */
function hintedCommand(stderr: string): string[] {
  const m = /\nhint: [^\n]*: lmi (login sso[^\n]*)\n$/.exec(stderr);
  assert(m, `a lmi login sso command in:\n${stderr}`);
  return m[1]!.split(" ");
}

Deno.test({
  name: "step-up: exit 4 with the command; running it satisfies the API",
  ignore: ignoreUnless("step-up end to end", NEEDS_CHROMIUM, NEEDS_PTY),
  fn: async (t) => {
    await using idp = await startDevIdp();
    await using box = await stepUpWorld(idp);
    const browser = await launchChromium();
    try {
      // One browser context throughout: the IdP's browser session lives on between sign-ins.
      const page = await (await browser.newContext()).newPage();
      await t.step("a plain sign-in has no acr", async () => {
        const { form } = await signIn(box, idp, page, ["login", "sso"]);
        assert(form, "the IdP asked for the password");
        const st = JSON.parse((await box.run(["auth", "status", "--json"])).stdout);
        assertEquals(st.sso.acr, undefined);
      });

      let command: string[] = [];
      await t.step("the API asks for acr phr within 5m: exit 4 with the command", async () => {
        idp.api.reset();
        const r = await box.run(["request", "-e", "app", "/stepup?acr=phr&max_age=300"]);
        assertEquals([r.code, r.stdout], [4, ""], r.stderr);
        assertMatch(
          r.stderr,
          /^lmi: error: HTTP 401 from GET http:\/\/127\.0\.0\.1:\d+\/stepup\?acr=phr&max_age=300: the API requires a stronger or more recent sign-in \(acr_values "phr", max_age 5m\): a stronger authentication is required\n/,
        );
        command = hintedCommand(r.stderr);
        assertEquals(command, ["login", "sso", "--acr-values", "phr", "--max-age", "5m"]);
        assertEquals(idp.api.requests.length, 1, "not retried with a new token");
      });
      await t.step("that command signs in again, asking for acr phr and max_age", async () => {
        const { url, form, run } = await signIn(box, idp, page, command);
        assertEquals([url.searchParams.get("acr_values"), url.searchParams.get("max_age")], [
          "phr",
          "300",
        ]);
        assert(form, "the IdP asked for the password again: its session had no acr phr");
        assert(!/warning/.test(run.output()), run.output());
      });
      await t.step("the request passes; auth status shows the acr and the time", async () => {
        const r = await box.run(["request", "-e", "app", "/stepup?acr=phr&max_age=300"]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(JSON.parse(r.stdout).acr, "phr");
        const text = await box.run(["auth", "status"]);
        assertEquals(text.code, 0, text.stderr);
        assertMatch(text.stdout, /\nSSO sign-in: \d+s ago \(\d{4}-[\d-]+T[\d:.]+Z\), acr phr\n/);
        const st = JSON.parse((await box.run(["auth", "status", "--json"])).stdout);
        assertEquals(st.sso.acr, "phr");
        assert(Date.now() - Date.parse(st.sso.auth_time) < 120_000, st.sso.auth_time);
      });
      await t.step("a scope the token lacks: exit 4, lmi login sso --scope", async () => {
        const r = await box.run(["request", "-e", "app", "/scoped?scope=api.write"]);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(r.stderr, /the API requires the scope "api\.write", which the token lacks/);
        command = hintedCommand(r.stderr);
        assertEquals(command, ["login", "sso", "--scope", "api.write"]);
      });
      await t.step("that command adds the scope; the request passes", async () => {
        const { url, form } = await signIn(box, idp, page, command);
        assertMatch(
          url.searchParams.get("scope")!,
          /^openid profile email offline_access api\.write$/,
        );
        assert(!form, "the IdP's browser session was enough: no password asked");
        const r = await box.run(["request", "-e", "app", "/scoped?scope=api.write"]);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(JSON.parse(r.stdout).scope, /\bapi\.write\b/);
      });
      await t.step("the session keeps acr and auth_time through a refresh", async () => {
        const before = JSON.parse((await box.run(["auth", "status", "--json"])).stdout).sso;
        const r = await box.run(["auth", "token", "-e", "app", "--force"]);
        assertEquals(r.code, 0, r.stderr);
        const after = JSON.parse((await box.run(["auth", "status", "--json"])).stdout).sso;
        assertEquals([after.acr, after.auth_time], [before.acr, before.auth_time]);
        const passed = await box.run(["request", "-e", "app", "/stepup?acr=phr"]);
        assertEquals(passed.code, 0, `the refreshed access token says acr phr: ${passed.stderr}`);
      });
    } finally {
      await browser.close();
    }
  },
});
