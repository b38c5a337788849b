/**
 * The warm `lmi auth token` as users run it (main.ts under `deno run`, against the dev IdP): the
 * bundled warm path answers without the program's modules, what it prints is what the full
 * program prints, and what it cannot do (a config not parsed before, a token without a signature
 * memo) goes to the full program, which leaves the next run warm again. (Caches edited or made
 * under another user's key: tests/e2e/warm_cache_trust_test.ts.)
 *
 * Which modules a run reads is taken from Deno's debug log (`DENO_LOG=debug` names each module
 * it fetches): the warm path must never read src/cli/program.ts.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

const PROGRAM = "src/cli/program.ts";

Deno.test("the warm path as users run it", async (t) => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(
    idp,
    `default_env = "dev"\n` + serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` }),
  );
  /** A run, and whether it loaded the full program. */
  const run = async (args: string[]) => {
    const r = await box.run(args, { env: { DENO_LOG: "debug" } });
    const full = r.stderr.includes(PROGRAM);
    const stderr = r.stderr.split("\n").filter((l) => !/^(DEBUG|INFO|TRACE) /.test(l)).join("\n");
    return { code: r.code, stdout: r.stdout, stderr, full };
  };

  const first = await run(["auth", "token"]);
  assertEquals([first.code, first.stderr, first.full], [0, "", true], "cold: the full program");
  const token = first.stdout;

  await t.step("warm: served by the bundle, the same token", async () => {
    const warm = await run(["auth", "token"]);
    assertEquals(warm, { code: 0, stdout: token, stderr: "", full: false });
    const exec = await run(["auth", "token", "--format", "exec-credential"]);
    assertEquals([exec.code, exec.full], [0, false]);
    assertEquals(JSON.parse(exec.stdout).status.token, token.trim());
  });
  await t.step("-v: the full program, the same token", async () => {
    const verbose = await run(["auth", "token", "-v"]);
    assertEquals([verbose.code, verbose.stdout, verbose.full], [0, token, true]);
    assert(verbose.stderr.includes("using the cached token"), verbose.stderr);
  });
  await t.step("an edited config: parsed by the full program once, then warm again", async () => {
    await box.writeConfig(
      `default_env = "dev"\n# edited\n` +
        serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` }),
    );
    const edited = await run(["auth", "token"]);
    assertEquals(edited, { code: 0, stdout: token, stderr: "", full: true });
    assertEquals((await run(["auth", "token"])).full, false);
  });
  await t.step(
    "a cached token without a signature memo: jose checks it (full program), stores the memo",
    async () => {
      const file = join(box.cacheDir, "lmi", "tokens", "dev.json");
      const data = JSON.parse(await Deno.readTextFile(file));
      delete data.entries[0].signature_memo;
      await Deno.writeTextFile(file, JSON.stringify(data), { mode: 0o600 });
      const checked = await run(["auth", "token"]);
      assertEquals(checked, { code: 0, stdout: token, stderr: "", full: true });
      assertEquals((await run(["auth", "token"])).full, false, "warm again");
    },
  );
  await t.step("lmi request: the full program, not the warm path", async () => {
    const who = await run(["request", "/whoami"]);
    assertEquals([who.code, who.full], [0, true], who.stderr);
    assertEquals(JSON.parse(who.stdout).client_id, idp.clients.basic.id);
  });
  assertEquals(idp.stats.tokenRequests, 1, "one token request in all");
});
