/**
 * Help output, snapshot-tested from a subprocess with NO_COLOR: stdout and stderr both recorded.
 * Regenerate after an intended change with LMI_UPDATE_SNAPSHOTS=1.
 */
import { join } from "../../src/util/path.ts";
import { assertEquals } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { REPO } from "../../scripts/run_lmi.ts";

const CASES: Array<[string, string[]]> = [
  ["help", ["--help"]],
  ["auth-token-help", ["auth", "token", "--help"]],
  ["login-sso-help", ["login", "sso", "--help"]],
  ["request-help", ["request", "--help"]],
  ["auth-help", ["auth"]],
  ["unknown-flag", ["auth", "token", "--frce"]],
];

Deno.test("help and usage output (snapshots)", async (t) => {
  await using box = await sandbox();
  for (const [name, args] of CASES) {
    await t.step(name, async () => {
      const r = await box.run(args, { env: { PATH: "/nonexistent" } }); // no plugins listed
      const actual = `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
      const file = join(REPO, "tests", "snapshots", `${name}.txt`);
      if (Deno.env.get("LMI_UPDATE_SNAPSHOTS") === "1") await Deno.writeTextFile(file, actual);
      assertEquals(actual, await Deno.readTextFile(file));
    });
  }
});
