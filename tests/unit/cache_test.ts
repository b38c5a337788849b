/**
 * The token cache module: several configurations per env name (at most 8, the least recently
 * written dropped), the legacy single-entry file, logout removing everything lmi wrote, and the
 * one mode rule for lmi's files (refused with a warning, replaced, never repaired silently).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { cachedEnvNames, MAX_ENTRIES, removeEnvCache, TokenCache } from "../../src/tokens/cache.ts";
import { CACHE_VERSION, type CachedToken } from "../../src/tokens/token_set.ts";
import { fileStore } from "../../src/sso/store.ts";
import { ignoreUnless, POSIX_MODES } from "../helpers/components.ts";

function entry(fp: string, token = `at-${fp}`): CachedToken {
  return {
    version: CACHE_VERSION,
    fingerprint: fp,
    access_token: token,
    token_type: "Bearer",
    expires_at: "2030-01-01T00:00:00.000Z",
    obtained_at: "2029-12-31T23:00:00.000Z",
    verified: false,
  };
}

Deno.test("the token cache", async (t) => {
  const dir = await Deno.makeTempDir();
  const cache = new TokenCache(dir, "dev");
  await t.step("two configurations of one env name keep their own tokens", async () => {
    await cache.write(entry("project-a"));
    await cache.write(entry("project-b"));
    assertEquals(cache.peek("project-a")?.access_token, "at-project-a");
    assertEquals(cache.peek("project-b")?.access_token, "at-project-b");
    assertEquals((await cache.read("project-c")).state, "other-config");
    // a new token for a replaces a's entry and becomes the most recent
    await cache.write(entry("project-a", "at-a-2"));
    const file = JSON.parse(await Deno.readTextFile(cache.files.token));
    assertEquals(file.version, 2);
    assertEquals(file.entries.map((e: CachedToken) => e.access_token), [
      "at-a-2",
      "at-project-b",
    ]);
  });
  await t.step(
    `at most ${MAX_ENTRIES} entries: the least recently written is dropped`,
    async () => {
      for (let i = 0; i < MAX_ENTRIES; i++) await cache.write(entry(`fp-${i}`));
      const file = JSON.parse(await Deno.readTextFile(cache.files.token));
      assertEquals(file.entries.length, MAX_ENTRIES);
      assertEquals(cache.peek("project-b"), undefined, "the oldest is gone");
      assertEquals(cache.peek("fp-0")?.access_token, "at-fp-0");
    },
  );
  await t.step("a file in the former single-entry format is read", async () => {
    await Deno.writeTextFile(cache.files.token, JSON.stringify(entry("legacy")), { mode: 0o600 });
    assertEquals(cache.peek("legacy")?.access_token, "at-legacy");
    await cache.write(entry("new"));
    assertEquals(cache.peek("legacy")?.access_token, "at-legacy", "kept on the next write");
  });
  const WIDENED = "a file others can read is refused with a warning and replaced";
  await t.step({
    name: WIDENED,
    ignore: ignoreUnless(WIDENED, POSIX_MODES),
    fn: async () => {
      await Deno.chmod(cache.files.token, 0o644);
      assertEquals(cache.peek("new"), undefined);
      const deps = fakeDeps();
      const log = testLogger(deps);
      assertEquals(await cache.readLogged("new", log), undefined);
      await log.flush();
      assertMatch(deps.stderr.text(), /ignoring .*dev\.json: its mode 644 lets others read it/);
      assertEquals((await Deno.stat(cache.files.token)).mode! & 0o777, 0o644, "not repaired");
      await cache.write(entry("new"));
      assertEquals((await Deno.stat(cache.files.token)).mode! & 0o777, 0o600, "replaced");
      assertEquals(cache.peek("legacy"), undefined, "an untrusted file's entries are not kept");
    },
  });
  await t.step("logout removes every entry, the JWKS and temp files; the lock stays", async () => {
    await Deno.writeTextFile(cache.files.jwks, "{}");
    await Deno.writeTextFile(`${cache.files.token}.1a2b3c4d.tmp`, "{");
    await Deno.writeTextFile(`${cache.files.jwks}.5e6f7a8b.tmp`, "{");
    await Deno.writeTextFile(join(dir, "other.json.1a2b3c4d.tmp"), "{");
    await Deno.writeTextFile(join(dir, "first.json.9a9a9a9a.tmp"), "{");
    await Deno.writeTextFile(join(dir, "keys.jwks.json"), "{}");
    await Deno.writeTextFile(join(dir, "bound.dpop.jwk"), "{}");
    await Deno.writeTextFile(join(dir, "sso-0123abcd.lock"), "");
    // an env whose first write was killed has only a temp file: it is listed (logout --all)
    assertEquals(await cachedEnvNames(dir), ["bound", "dev", "first", "keys", "other"]);
    await removeEnvCache(dir, "bound");
    await removeEnvCache(dir, "first");
    await removeEnvCache(dir, "keys");
    assertEquals(await removeEnvCache(dir, "dev"), true);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, [
      "bound.lock",
      "dev.lock",
      "first.lock",
      "keys.lock",
      "other.json.1a2b3c4d.tmp",
      "sso-0123abcd.lock",
    ]);
    assertEquals(await removeEnvCache(dir, "dev"), false);
  });
  await Deno.remove(dir, { recursive: true });
});

const SSO_WIDENED = "the SSO file store refuses a session file others can read, with a warning";

Deno.test({
  name: SSO_WIDENED,
  ignore: ignoreUnless(SSO_WIDENED, POSIX_MODES),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const warnings: string[] = [];
    const store = fileStore(dir, (m) => warnings.push(m));
    await store.set("sso:https://idp", '{"a":1}');
    assertEquals(await store.get("sso:https://idp"), '{"a":1}');
    const file = [...Deno.readDirSync(join(dir, "sso"))][0]!.name;
    await Deno.chmod(join(dir, "sso", file), 0o640);
    assertEquals(await store.get("sso:https://idp"), undefined);
    assert(warnings.length === 1 && /mode 640 lets others read it/.test(warnings[0]!), warnings[0]);
    assertEquals((await Deno.stat(join(dir, "sso", file))).mode! & 0o777, 0o640, "not repaired");
    await store.set("sso:https://idp", '{"a":2}');
    assertEquals(await store.get("sso:https://idp"), '{"a":2}');
    await Deno.remove(dir, { recursive: true });
  },
});
