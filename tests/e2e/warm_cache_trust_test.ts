/**
 * The warm path's caches are the user's own, or nothing (DESIGN.md → Tokens): `parsed.json` and
 * the signature memo carry an HMAC under a per-user key in `<data>/lmi/`, so a cache folder
 * edited by hand or restored from elsewhere (a CI cache) is ignored and rebuilt, as users run lmi
 * (main.ts under `deno run`, against the dev IdP). The key itself: tests/unit/cache_key_test.ts.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { homeVars } from "../helpers/fakes.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import type { Sandbox } from "../helpers/cli.ts";
import { exists } from "../helpers/files.ts";

const PROGRAM = "src/cli/program.ts";

/** A run, and whether it loaded the full program (Deno's debug log names each module read). */
async function run(box: Sandbox, args: string[], env: Record<string, string> = {}) {
  const r = await box.run(args, { env: { DENO_LOG: "debug", ...env } });
  const full = r.stderr.includes(PROGRAM);
  const stderr = r.stderr.split("\n").filter((l) => !/^(DEBUG|INFO|TRACE) /.test(l)).join("\n");
  return { code: r.code, stdout: r.stdout, stderr, full };
}

function config(idp: DevIdp): string {
  return `default_env = "dev"\n` + serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` });
}

Deno.test('a hand-edited parsed.json that says type = "command" is never used', async () => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(idp, config(idp));
  const first = await run(box, ["auth", "token"]);
  assertEquals([first.code, first.stderr], [0, ""]);
  const token = first.stdout;

  // The edit: the same file, path and text, valid JSON, still 0600 and the user's, and a parse
  // the validator could have made (of another text): the env's token now comes from a command.
  const marker = join(box.dir, "the-command-ran");
  const script = `Deno.writeTextFileSync(${JSON.stringify(marker)}, "ran"); console.log("forged")`;
  const planted = await parseConfigText(
    `[envs.dev.auth]\ntype = "command"\ncommand = ${
      JSON.stringify([Deno.execPath(), "eval", script])
    }\n`,
    join(box.home, "lmi.toml"),
  );
  const cachePath = join(box.cacheDir, "lmi", "config", "parsed.json");
  const data = JSON.parse(await Deno.readTextFile(cachePath));
  const entry = data.entries.find((e: { path: string }) => e.path === join(box.home, "lmi.toml"));
  assert(entry, "the full program cached the parse of lmi.toml");
  entry.config.envs.dev.auth = planted.envs.dev!.auth;
  await Deno.writeTextFile(cachePath, JSON.stringify(data), { mode: 0o600 });
  if (Deno.build.os !== "windows") {
    assertEquals((await Deno.stat(cachePath)).mode! & 0o777, 0o600);
  }

  const after = await run(box, ["auth", "token"]);
  assertEquals(await exists(marker), false, "the planted command never ran");
  assertEquals([after.code, after.stdout, after.stderr], [0, token, ""], "lmi.toml was used");
  assertEquals(after.full, true, "the warm path declined: the edited entry is a miss");
  assertEquals(idp.stats.tokenRequests, 1, "the cached token was still used");
  const rebuilt = await run(box, ["auth", "token"]);
  assertEquals([rebuilt.code, rebuilt.stdout, rebuilt.full], [0, token, false], "rebuilt: warm");
  assertEquals(await exists(marker), false);
});

Deno.test("a cache folder restored into a fresh home is ignored, then rebuilt", async (t) => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(idp, config(idp));
  const first = await run(box, ["auth", "token"]);
  assertEquals([first.code, first.stderr], [0, ""]);
  const token = first.stdout;
  assertEquals((await run(box, ["auth", "token"])).full, false, "warm in its own home");

  // A CI job: the same workspace and cache folder (restored), another home: another data folder,
  // so another key.
  const fresh = join(box.dir, "fresh-home");
  await Deno.mkdir(fresh);
  const elsewhere = homeVars(fresh);
  const dataDir = Deno.build.os === "windows"
    ? join(elsewhere.APPDATA!, "lmi")
    : join(fresh, ".local", "share", "lmi");

  await t.step("the restored parse and memo are misses: the full program, jose", async () => {
    const restored = await run(box, ["auth", "token"], elsewhere);
    assertEquals(restored, { code: 0, stdout: token, stderr: "", full: true });
    assert(await exists(join(dataDir, "cache.key")), "the full program made this home's key");
  });
  await t.step("then rebuilt under this home's key: warm again", async () => {
    const warm = await run(box, ["auth", "token"], elsewhere);
    assertEquals(warm, { code: 0, stdout: token, stderr: "", full: false });
  });
  assertEquals(idp.stats.tokenRequests, 1, "the restored token was used, after jose checked it");
});

Deno.test("the key file: 0600 in <data>/lmi; widened, it is refused and replaced", async () => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(idp, config(idp));
  const first = await run(box, ["auth", "token"]);
  assertEquals([first.code, first.stderr], [0, ""]);
  const keyFile = Deno.build.os === "windows"
    ? join(box.env.APPDATA!, "lmi", "cache.key")
    : join(box.home, ".local", "share", "lmi", "cache.key");
  const key = await Deno.readTextFile(keyFile);
  assert(/^[0-9a-f]{64}\n$/.test(key), "32 bytes as hex");
  if (Deno.build.os === "windows") return; // no mode bits
  assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(join(keyFile, ".."))).mode! & 0o777, 0o700);
  assertEquals((await run(box, ["auth", "token"])).full, false, "warm");

  await Deno.chmod(keyFile, 0o644);
  const widened = await run(box, ["auth", "token"]);
  assertEquals([widened.code, widened.stdout, widened.full], [0, first.stdout, true]);
  assertEquals(
    widened.stderr,
    `lmi: warning: ignoring ${keyFile}: its mode 644 lets others read it; it will be replaced\n`,
  );
  assert((await Deno.readTextFile(keyFile)) !== key, "a new key");
  assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
  const again = await run(box, ["auth", "token"]);
  assertEquals([again.code, again.stdout, again.stderr, again.full], [0, first.stdout, "", false]);
  assertEquals(idp.stats.tokenRequests, 1);
});
