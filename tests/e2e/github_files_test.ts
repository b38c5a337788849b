/**
 * `lmi auth token --format github` with GITHUB_ENV / GITHUB_OUTPUT naming a FIFO nobody reads:
 * the real program, because before the fix it hung in the open until killed. Now it is exit 3 at
 * once, before anything is printed or written. (Folders, missing folders and file modes are
 * tested in process: tests/unit/cli_tokens_test.ts.)
 */
import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { ignoreUnless, SH } from "../helpers/components.ts";

const NAME = "--format github: a FIFO as GITHUB_ENV or GITHUB_OUTPUT is exit 3 at once";

Deno.test({ name: NAME, ignore: ignoreUnless(NAME, SH, { commands: ["mkfifo"] }) }, async (t) => {
  await using box = await sandbox();
  await box.writeConfig(`[envs.ci.auth]
type = "command"
command = ["sh", "-c", "echo token-for-github-files"]
`);
  const fifo = join(box.dir, "fifo");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo");
  const envFile = join(box.dir, "github_env");

  for (
    const [variable, env] of [
      ["GITHUB_ENV", { GITHUB_ENV: fifo }],
      ["GITHUB_OUTPUT", { GITHUB_ENV: envFile, GITHUB_OUTPUT: fifo }],
    ] as const
  ) {
    await t.step(`${variable} a FIFO`, async () => {
      const started = Date.now();
      const r = await box.run(["auth", "token", "-e", "ci", "--format", "github"], {
        env,
        limitMs: 20_000,
      });
      assertEquals(
        r,
        {
          code: 3,
          stdout: "",
          stderr: `lmi: error: ${variable} is not a regular file: "${fifo}" is a FIFO\n` +
            `hint: GitHub Actions sets ${variable} to a file; unset it, or point it at a regular file\n`,
        },
      );
      assert(Date.now() - started < 15_000, "at once, not when killed");
      assertEquals(await Deno.stat(envFile).catch(() => "none"), "none", "nothing written");
    });
  }
});
