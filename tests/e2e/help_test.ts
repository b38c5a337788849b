/**
 * Help output, snapshot-tested from a subprocess with NO_COLOR: stdout and stderr both recorded.
 * Regenerate after an intended change with LMI_UPDATE_SNAPSHOTS=1.
 */
import { assertEquals } from "../helpers/assert.ts";
import { VERSION } from "../../src/version.ts";
import { sandbox } from "../helpers/cli.ts";
import { SNAPSHOT_CASES, snapshotPath, snapshotText } from "../helpers/snapshots.ts";

Deno.test("help and usage output (snapshots)", async (t) => {
  await using box = await sandbox();
  for (const [name, args] of SNAPSHOT_CASES) {
    await t.step(name, async () => {
      const r = await box.run(args, { env: { PATH: "/nonexistent" } }); // no plugins listed
      const actual = snapshotText(r);
      const file = snapshotPath(name);
      if (Deno.env.get("LMI_UPDATE_SNAPSHOTS") === "1") await Deno.writeTextFile(file, actual);
      assertEquals(actual, await Deno.readTextFile(file));
    });
  }
});

Deno.test("--version under deno run: build information, no commit", async (t) => {
  await using box = await sandbox();
  const { deno } = Deno.version;
  const { target } = Deno.build;
  await t.step("text", async () => {
    const r = await box.run(["--version"]);
    assertEquals([r.code, r.stdout], [
      0,
      `lmi ${VERSION} (deno run)\ndeno ${deno}\ntarget ${target}\n`,
    ]);
  });
  await t.step("--json", async () => {
    const r = await box.run(["--version", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout), {
      version: VERSION,
      deno,
      target,
      commit: null,
      compiled: false,
    });
  });
});
