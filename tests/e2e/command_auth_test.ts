/** `auth.type = "command"`: a credential process prints the token. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { type RunResult, sandbox } from "../helpers/cli.ts";
import { ignoreUnless, LINUX, SH } from "../helpers/components.ts";
import { lmiCommand } from "../../scripts/run_lmi.ts";

const NAME = "auth.type command: raw and JSON output, failures";

Deno.test(
  { name: NAME, ignore: ignoreUnless(NAME, SH, { commands: ["true", "yes"] }) },
  async (t) => {
    await using box = await sandbox();
    const exp = new Date(Date.now() + 3600_000).toISOString();
    await box.writeConfig(`[envs.raw.auth]
type = "command"
command = ["sh", "-c", "echo helper says hi >&2; echo opaque-token-from-helper"]
[envs.json.auth]
type = "command"
command = ["sh", "-c", "echo '{\\"access_token\\": \\"json-token\\", \\"expires_at\\": \\"${exp}\\"}'"]
[envs.fails.auth]
type = "command"
command = ["sh", "-c", "echo 'not logged in to corp-auth' >&2; exit 3"]
[envs.missing.auth]
type = "command"
command = ["no-such-credential-helper-lmi"]
[envs.empty.auth]
type = "command"
command = ["true"]
[envs.flood.auth]
type = "command"
command = ["yes"]
`);
    await t.step("raw token on stdout; the helper's stderr reaches the user", async () => {
      const r = await box.run(["auth", "token", "-e", "raw"]);
      assertEquals([r.code, r.stdout], [0, "opaque-token-from-helper\n"]);
      assertMatch(r.stderr, /helper says hi/);
    });
    await t.step("JSON with access_token and expires_at", async () => {
      const r = await box.run(["auth", "token", "-e", "json", "--format", "json"]);
      assertEquals(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assertEquals([doc.access_token, doc.expires_at], ["json-token", exp]);
    });
    await t.step("a failing helper is exit 4; a missing one exit 3; no token exit 4", async () => {
      const fails = await box.run(["auth", "token", "-e", "fails"]);
      assertEquals(fails.code, 4);
      assertMatch(fails.stderr, /not logged in to corp-auth/);
      assertMatch(fails.stderr, /lmi: error: auth.command "sh" exited with 3/);
      assertEquals((await box.run(["auth", "token", "-e", "missing"])).code, 3);
      assertEquals((await box.run(["auth", "token", "-e", "empty"])).code, 4);
    });
    await t.step("a helper that prints without end is stopped at 1 MiB: exit 4", async () => {
      assertEquals(await box.run(["auth", "token", "-e", "flood"]), {
        code: 4,
        stdout: "",
        stderr:
          'lmi: error: auth.command "yes" printed more than 1 MiB on stdout; it was stopped\n' +
          "hint: print the token alone on stdout, or a JSON object with access_token " +
          "(and expires_in or expires_at)\n",
      });
    });
  },
);

const CHECKED = "auth.type command: the token and its type are checked as an IdP's are";

Deno.test(
  { name: CHECKED, ignore: ignoreUnless(CHECKED, SH, { commands: ["cat"] }) },
  async (t) => {
    await using box = await sandbox();
    const answer = async (name: string, doc: Record<string, unknown>) => {
      const file = join(box.dir, `${name}.json`);
      await Deno.writeTextFile(file, JSON.stringify(doc));
      // base_url is never reached: the token is refused first.
      return `[envs.${name}]\nbase_url = "http://127.0.0.1:9"\n[envs.${name}.auth]\n` +
        `type = "command"\ncommand = ["cat", ${JSON.stringify(file)}]\n`;
    };
    await box.writeConfig(
      await answer("inject", {
        access_token: "tok-from-helper",
        token_type: "Bearer\r\nX-Injected: 1",
      }) +
        await answer("bell", { access_token: "tok-from\u0007helper" }) +
        await answer("odd", { access_token: "tok:not-b64token" }),
    );
    const refused = (r: RunResult, field: string, what: string) =>
      assertEquals(r, {
        code: 4,
        stdout: "",
        stderr:
          `lmi: error: the output of auth.command "cat" is unusable: its ${field} contains ${what}\n` +
          "hint: lmi refuses tokens it cannot send safely in an HTTP header; fix what the command prints\n",
      });
    await t.step("CR/LF in token_type: exit 4 for --format header and for request", async () => {
      const type = "characters other than printable ASCII without spaces";
      refused(
        await box.run(["auth", "token", "-e", "inject", "--format", "header"]),
        "token_type",
        type,
      );
      refused(await box.run(["request", "-e", "inject", "/x"]), "token_type", type);
    });
    await t.step("an access token a Bearer token may not be: exit 4", async () => {
      const bearer = "characters a Bearer token may not have (RFC 6750 §2.1)";
      refused(await box.run(["auth", "token", "-e", "bell"]), "access_token", bearer);
      refused(await box.run(["auth", "token", "-e", "odd"]), "access_token", bearer);
    });
  },
);

/** Whether process `pid` is gone (or a zombie, dead and waiting to be reaped). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => undefined);
    if (stat === undefined || /^\d+ \(.*\) Z/.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const TIMEOUT = "auth.type command: the env's timeout ends the helper and all it started";

Deno.test(
  { name: TIMEOUT, ignore: ignoreUnless(TIMEOUT, SH, { os: LINUX, why: "reads /proc" }) },
  async (t) => {
    await using box = await sandbox();
    const pidFile = join(box.dir, "grandchild.pid");
    const helper = (script: string) => JSON.stringify(["sh", "-c", script]);
    await box.writeConfig(`[envs.leaves-stdout-open]
timeout = "1s"
[envs.leaves-stdout-open.auth]
type = "command"
command = ${helper(`sleep 8 & echo $! > '${pidFile}'; echo tok`)}
[envs.hangs]
timeout = "1s"
[envs.hangs.auth]
type = "command"
command = ${helper(`sleep 8 & echo $! > '${pidFile}'; sleep 8`)}
[envs.interrupted]
timeout = "20s"
[envs.interrupted.auth]
type = "command"
command = ${helper(`sleep 8 & echo $! > '${pidFile}'; sleep 8`)}
`);
    const timedOut = (r: RunResult, env: string) =>
      assertEquals(r, {
        code: 5,
        stdout: "",
        stderr: `lmi: error: auth.command "sh" timed out after 1s (the env's timeout)\n` +
          `hint: raise [envs.${env}] timeout, or make the command end; a process it leaves ` +
          "running must not keep its stdout open\n",
      });
    for (const env of ["leaves-stdout-open", "hangs"]) {
      await t.step(`${env}: exit 5 at the timeout, no process left`, async () => {
        await Deno.remove(pidFile).catch(() => {});
        const started = Date.now();
        const r = await box.run(["auth", "token", "-e", env], { limitMs: 30_000 });
        const took = Date.now() - started;
        timedOut(r, env);
        assert(took < 6_000, `took ${took} ms`);
        const pid = Number(await Deno.readTextFile(pidFile));
        assert(await gone(pid), `the helper's child ${pid} is still running`);
      });
    }
    await t.step("interrupted (SIGINT): exit 130, the helper and its child ended", async () => {
      await Deno.remove(pidFile).catch(() => {});
      const { cmd, args } = lmiCommand(["auth", "token", "-e", "interrupted"]);
      const child = new Deno.Command(cmd, {
        args,
        clearEnv: true,
        env: box.env,
        cwd: box.home,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      try {
        for (let i = 0; i < 100 && !(await Deno.stat(pidFile).catch(() => undefined)); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const started = Date.now();
        child.kill("SIGINT");
        const out = await child.output();
        const took = Date.now() - started;
        assert(took < 5_000, `took ${took} ms`);
        assertEquals([out.code, new TextDecoder().decode(out.stdout)], [130, ""]);
        const pid = Number(await Deno.readTextFile(pidFile));
        assert(await gone(pid), `the helper's child ${pid} is still running`);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* ended */ }
      }
    });
  },
);
