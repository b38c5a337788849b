/**
 * Signing in where this machine has no browser, even at an IdP without the device flow (issue
 * 18): `lmi login sso --no-browser` as a subprocess whose stdin is a pipe; the dev IdP's login
 * completed in Chromium as on another machine (its navigation to lmi's loopback redirect is
 * caught and aborted, so lmi only learns the address by the paste); the bad pastes; and the
 * automatic choice on a machine without a display when the IdP offers no device flow, in a
 * terminal (a pty) where the address is typed.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { addressBrowserEndsOn, launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { NEEDS_PTY, runInPty } from "../helpers/pty.ts";
import { type BackgroundRun, runInBackground, SIGN_IN_URL } from "../helpers/background.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { ssoAppToml } from "../helpers/dev_world.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

async function pasteWorld(idp: DevIdp): Promise<Sandbox> {
  const box = await sandbox({ LMI_KEYRING: "file" });
  await box.writeConfig(ssoAppToml(idp));
  return box;
}

/** The dev IdP's login form, as alice. */
function signInAsAlice(idp: DevIdp): (page: Page) => Promise<void> {
  return async (page) => {
    await page.waitForSelector("#username");
    await page.fill("#username", idp.users.alice.username);
    await page.fill("input[name=password]", idp.users.alice.password);
    await page.click("button[type=submit]");
  };
}

/** `lmi login sso --no-browser` with stdin a pipe; resolves once it printed its URL. */
async function startPasteLogin(
  box: Sandbox,
  timeout = "60s",
): Promise<{ login: BackgroundRun; url: string }> {
  const login = runInBackground(
    ["login", "sso", "--no-browser", "--timeout", timeout],
    box.env,
    box.home,
    { stdin: "piped" },
  );
  const [, url] = await login.waitFor(SIGN_IN_URL.browser);
  await login.waitFor(/paste that page's address here\.\n/);
  return { login, url: url! };
}

/** `address` with its query parameters changed. */
function edited(address: string, changes: Record<string, string>): string {
  const url = new URL(address);
  for (const [key, value] of Object.entries(changes)) url.searchParams.set(key, value);
  return url.href;
}

Deno.test({
  name: "SSO: a browser on another machine; the address it ends on, pasted on stdin, signs in",
  ignore: ignoreUnless("SSO sign-in by a pasted address", NEEDS_CHROMIUM),
  fn: async (t) => {
    await using idp = await startDevIdp();
    await using box = await pasteWorld(idp);
    const browser = await launchChromium();
    const runs: BackgroundRun[] = [];
    try {
      await t.step("garbage and another port are said so; the right address signs in", async () => {
        const { login, url } = await startPasteLogin(box);
        runs.push(login);
        const address = await addressBrowserEndsOn(browser, url, signInAsAlice(idp));
        const code = new URL(address).searchParams.get("code")!;
        assert(code, `a code in ${address}`);
        assertEquals(new URL(address).searchParams.get("iss"), idp.issuer, "RFC 9207 iss");
        await login.write("\n  \nnot an address\n");
        await login.waitFor(/lmi: warning: that is not a web address/);
        const otherPort = new URL(address);
        otherPort.port = String(Number(otherPort.port) === 1 ? 2 : 1);
        await login.write(`${otherPort.href}\n`);
        await login.waitFor(
          /lmi: warning: that address goes to http:\/\/127\.0\.0\.1:[12]\/callback/,
        );
        await login.write(`${address}\n`);
        assertEquals(await login.status, 0, login.stderr());
        assertMatch(login.stderr(), /Signed in to .* as alice@example\.com/);
        assert(!login.stderr().includes(code), "the code is never printed");
        assertEquals(login.stdout(), "");
        const status = await box.run(["auth", "status", "--json"]);
        assertEquals(status.code, 0, status.stderr);
        assertEquals(JSON.parse(status.stdout).sso.user.email, "alice@example.com");
        assertEquals((await box.run(["request", "-e", "app", "/whoami"])).code, 0);
        assertEquals((await box.run(["logout", "sso"])).code, 0);
      });

      await t.step("another sign-in's state: exit 4, nothing stored", async () => {
        const { login, url } = await startPasteLogin(box);
        runs.push(login);
        const address = await addressBrowserEndsOn(browser, url, signInAsAlice(idp));
        idp.stats.reset();
        await login.write(`${edited(address, { state: "not-this-sign-in" })}\n`);
        assertEquals(await login.status, 4, login.stderr());
        assertMatch(
          login.stderr(),
          /lmi: error: the pasted address is the answer to another sign-in \(its state is not this one's\)\nhint: /,
        );
        assertEquals(idp.stats.tokenRequests, 0, "the code was not exchanged");
        assertEquals((await box.run(["auth", "status"])).code, 1, "not signed in");
      });

      await t.step(
        "the IdP's error (the person cancelled): exit 4 with its description",
        async () => {
          const { login, url } = await startPasteLogin(box);
          runs.push(login);
          const address = await addressBrowserEndsOn(browser, url, async (page) => {
            await page.waitForSelector("#username");
            await page.click("text=Cancel");
          });
          assertEquals(new URL(address).searchParams.get("error"), "access_denied");
          await login.write(`${address}\n`);
          assertEquals(await login.status, 4, login.stderr());
          assertMatch(
            login.stderr(),
            /lmi: error: the IdP refused the sign-in \(access_denied: End-User aborted interaction\)\nhint: sign in again and approve the request/,
          );
          assertEquals((await box.run(["auth", "status"])).code, 1, "not signed in");
        },
      );

      await t.step("a closed stdin is no answer: lmi waits until --timeout", async () => {
        const { login } = await startPasteLogin(box, "3s");
        runs.push(login);
        await login.closeStdin();
        assertEquals(await login.status, 4, login.stderr());
        assertMatch(login.stderr(), /lmi: error: nobody completed the sign-in within 3s\nhint: /);
        assert(!login.stderr().includes("warning"), login.stderr());
      });
    } finally {
      for (const run of runs) run.kill();
      await Promise.all(runs.map((run) => run.status.catch(() => {})));
      await browser.close();
    }
  },
});

Deno.test({
  name:
    "SSO: no display and an IdP without the device flow: the paste flow, said in one line, typed in a terminal",
  ignore: ignoreUnless("SSO paste flow chosen without a display", NEEDS_CHROMIUM, NEEDS_PTY),
  fn: async () => {
    await using idp = await startDevIdp({ deviceFlow: false });
    await using box = await pasteWorld(idp);
    for (const name of ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "SSH_CONNECTION", "SSH_TTY"]) {
      delete box.env[name];
    }
    const browser = await launchChromium();
    const login = runInPty(["login", "sso", "--timeout", "60s"], box.env, box.home);
    try {
      await login.waitFor(
        /No display \(DISPLAY\/WAYLAND_DISPLAY unset\) and the IdP offers no device flow: sign in in a browser anywhere and paste the address it ends on\r?\n/,
      );
      const [, url] = await login.waitFor(/open this URL in a browser:\r?\n {2}(\S+)/);
      await login.waitFor(/paste that page's address here\./);
      const address = await addressBrowserEndsOn(browser, url!, signInAsAlice(idp));
      await login.write(`${address}\n`);
      assertEquals(await login.status, 0, login.output());
      assertMatch(login.output(), /Signed in to .* as alice@example\.com/);
      assert(!login.output().includes("left\r"), "no line redrawn over the typing");
      const status = await box.run(["auth", "status", "--json"]);
      assertEquals(JSON.parse(status.stdout).sso.user.email, "alice@example.com");
    } finally {
      try {
        login.kill("SIGKILL");
      } catch { /* ended */ }
      await login.status.catch(() => {});
      await browser.close();
    }
  },
});
