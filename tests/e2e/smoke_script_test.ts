/**
 * `deno task smoke PROGRAM`, which CI runs on each OS's compiled binary, checked here with the
 * program run from source (`deno compile` cannot download its runtime on this machine) and with
 * a program that fails.
 */
import { join } from "../../src/util/path.ts";
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { lmiCommand, REPO } from "../../scripts/run_lmi.ts";
import { childEnv } from "../../scripts/child_env.ts";
import { ignoreUnless, SH_SCRIPTS } from "../helpers/components.ts";

async function smoke(program: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", `--config=${join(REPO, "deno.json")}`, "smoke", ...program],
    clearEnv: true,
    env: childEnv(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

const PASSES = "deno task smoke: lmi passes every check";

Deno.test({ name: PASSES, ignore: ignoreUnless(PASSES, SH_SCRIPTS) }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-smoke-test-" });
  try {
    // A stand-in for the compiled binary: one executable that runs lmi with its permissions.
    const { cmd, args } = lmiCommand([]);
    const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    const bin = join(dir, "lmi");
    await Deno.writeTextFile(bin, `#!/bin/sh\nexec ${quoted} "$@"\n`);
    await Deno.chmod(bin, 0o755);
    const r = await smoke([bin]);
    assertEquals(r.code, 0, r.stdout);
    assertEquals(r.stdout.split("\n").filter((l) => l.startsWith("ok ")).length, 4, r.stdout);
    assertStringIncludes(r.stdout, "smoke: all passed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const FAILS = "deno task smoke: a program that fails fails the smoke test";

Deno.test({ name: FAILS, ignore: ignoreUnless(FAILS, { commands: ["false"] }) }, async () => {
  const r = await smoke(["false"]);
  assertEquals(r.code, 1, r.stdout);
  assertStringIncludes(r.stdout, "smoke: 4 failed");
});
