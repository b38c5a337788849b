/**
 * Hostile files and folders (issue 9, defects 7–11), through the real program: a planted
 * `tokens` symlink, a lock file that is a link, cache files and folders of another user, temp
 * files a killed writer left, and tokens read from a store echoed back by a server. The planting
 * runs as a second local user (`setpriv`, uid 65534) where the tests run as root; elsewhere they
 * are skipped with a reason (and fail under LMI_TEST_REQUIRE_ALL=1).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { serve } from "../helpers/servers.ts";
import {
  quirksConfig,
  type QuirksIdp,
  quirksSandbox,
  startQuirksIdp,
} from "../helpers/quirks_idp.ts";
import { ignoreUnless, LINUX, type Needs } from "../helpers/components.ts";

const NOBODY = 65534;

/** A second local user: root acting as uid 65534 through util-linux setpriv. */
const NEEDS_SECOND_USER: Needs = {
  os: LINUX,
  why: "acts as a second user with util-linux setpriv, on POSIX owners and modes",
  commands: ["/usr/bin/setpriv"],
  probe: () => Deno.uid() === 0 ? undefined : "needs root, to act as a second user with setpriv",
};

/** Run a shell command as the second user (uid/gid 65534). */
async function asNobody(script: string): Promise<void> {
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "sh",
      "-c",
      script,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`as nobody: ${new TextDecoder().decode(out.stderr)}`);
}

function config(idp: QuirksIdp, auth = ""): string {
  return quirksConfig(idp, { auth });
}

const world = quirksSandbox;

const tokensDir = (box: Sandbox) => join(box.cacheDir, "lmi", "tokens");

Deno.test({
  name: "hostile files and folders in the cache",
  ignore: ignoreUnless("hostile files and folders in the cache", NEEDS_SECOND_USER),
  fn: async (t) => {
    await using idp = await startQuirksIdp();
    idp.set({ token: "opaque" });

    await t.step("a planted tokens symlink: lmi neither chmods nor writes the target", async () => {
      await using box = await world(config(idp));
      const open = join(box.dir, "public");
      await Deno.mkdir(open);
      await Deno.chmod(open, 0o777);
      const shared = join(open, "shared");
      // <cache>/lmi is open to everyone; another user plants tokens -> a folder of theirs
      await Deno.mkdir(join(box.cacheDir, "lmi"), { recursive: true });
      await Deno.chmod(join(box.cacheDir, "lmi"), 0o777);
      await Deno.chmod(box.dir, 0o755);
      await Deno.chmod(box.cacheDir, 0o755);
      await asNobody(`mkdir -m 0777 '${shared}' && ln -s '${shared}' '${tokensDir(box)}'`);
      const r = await box.run(["auth", "token"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stderr,
        /warning: cannot use the token cache folder .*: refusing to use .*lmi: its mode 777 lets others in; the token will not be cached/,
      );
      assertEquals((await Deno.stat(shared)).mode! & 0o777, 0o777, "the target's mode is kept");
      assertEquals([...Deno.readDirSync(shared)], [], "nothing written into the target");
    });

    await t.step("a tokens folder that is a link, even one's own, is not used", async () => {
      await using box = await world(config(idp));
      const elsewhere = join(box.dir, "elsewhere");
      await Deno.mkdir(elsewhere, { mode: 0o700 });
      await Deno.mkdir(join(box.cacheDir, "lmi"), { recursive: true, mode: 0o700 });
      await Deno.symlink(elsewhere, tokensDir(box));
      const r = await box.run(["auth", "token"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /refusing to use .*tokens: it is a symbolic link/);
      assertEquals([...Deno.readDirSync(elsewhere)], []);
    });

    await t.step("a lock file that is a link is not followed", async () => {
      await using box = await world(config(idp));
      assertEquals((await box.run(["auth", "token"])).code, 0);
      const lock = join(tokensDir(box), "q.lock");
      const target = join(box.dir, "target-of-the-link");
      await Deno.remove(lock);
      await Deno.symlink(target, lock); // dangling
      const r = await box.run(["auth", "token", "--force"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /cannot lock .*q\.lock: refusing to lock .*: it is a symbolic link/);
      assertEquals(await Deno.lstat(target).catch(() => undefined), undefined, "no file created");
    });

    await t.step("a cache file of another user is not trusted, and replaced", async () => {
      await using box = await world(config(idp));
      const first = await box.run(["auth", "token"]);
      assertEquals(first.code, 0, first.stderr);
      const file = join(tokensDir(box), "q.json");
      await Deno.chown(file, NOBODY, NOBODY);
      idp.tokenRequests.length = 0;
      const r = await box.run(["auth", "token"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /ignoring .*q\.json: it belongs to another user \(uid 65534\)/);
      assertEquals(idp.tokenRequests.length, 1, "a new token, not the planted one");
      assertEquals((await Deno.stat(file)).uid, Deno.uid(), "replaced by lmi's own file");
    });

    await t.step("a tokens folder of another user is not used", async () => {
      await using box = await world(config(idp));
      assertEquals((await box.run(["auth", "token"])).code, 0);
      await Deno.chown(tokensDir(box), NOBODY, NOBODY);
      const r = await box.run(["auth", "token", "--force"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /refusing to use .*tokens: it belongs to another user/);
    });

    await t.step("temp files a killed writer left are removed by the next write", async () => {
      await using box = await world(config(idp));
      assertEquals((await box.run(["auth", "token"])).code, 0);
      const stale = join(tokensDir(box), "q.json.deadbeef.tmp");
      await Deno.writeTextFile(stale, '{"version":2,"entries":[]}', { mode: 0o600 });
      assertEquals((await box.run(["auth", "token", "--force"])).code, 0);
      assertEquals(await Deno.stat(stale).catch(() => undefined), undefined);
      await Deno.writeTextFile(stale, "{", { mode: 0o600 });
      assertEquals((await box.run(["logout", "--env", "q"])).code, 0);
      assertEquals(await Deno.stat(stale).catch(() => undefined), undefined, "and by logout");
    });
  },
});

Deno.test("tokens read from the cache are redacted when a server echoes them back", async (t) => {
  const ACCESS = "AT-echoed-access-token-0123456789";
  const REFRESH = "RT-echoed-refresh-token-abcdefghij";
  await using server = serve(async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/token") {
      const body = new URLSearchParams(await req.text());
      if (body.get("grant_type") === "refresh_token") {
        return Response.json({
          error: "invalid_grant",
          error_description: `refresh token ${body.get("refresh_token")} has expired`,
        }, { status: 400 });
      }
      return Response.json({
        access_token: ACCESS,
        refresh_token: REFRESH,
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    return new Response(`your request carried ${req.headers.get("authorization")}`, {
      status: 500,
    });
  });
  await using box = await sandbox({ Q_SECRET: "s3cret" });
  await box.writeConfig(`default_env = "q"
[envs.q]
base_url = "${server.url}"
retries = 0
[envs.q.auth]
type = "client_credentials"
token_url = "${server.url}/token"
client_id = "svc"
client_secret_env = "Q_SECRET"
`);
  assertEquals((await box.run(["auth", "token"])).stdout.trim(), ACCESS);
  await t.step("a cached refresh token in an IdP's error_description (-v, -vv)", async () => {
    for (const v of ["-v", "-vv"]) {
      const r = await box.run(["auth", "token", "--min-ttl", "2h", v]);
      assert(r.stderr.includes("has expired"), r.stderr);
      assertNotIncludes(r.stderr, REFRESH);
    }
  });
  await t.step("a cached access token in an API's 500 body", async () => {
    const r = await box.run(["request", "/boom"]);
    assertEquals(r.code, 1);
    assertNotIncludes(r.stderr, ACCESS);
  });
});
