/**
 * The parsed-config cache (src/config/parsed_cache.ts): a hit only for the same file and text,
 * written by the same lmi; anything changed, corrupt, tampered with or not lmi's is a miss; a
 * private file; and never a secret in it.
 */
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertRejects,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { loadConfig, parseConfigText } from "../../src/config/load.ts";
import {
  jsonExact,
  MAX_PARSED_ENTRIES,
  parsedCachePath,
  readParsed,
  writeParsed,
} from "../../src/config/parsed_cache.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { ConfigError } from "../../src/errors.ts";
import { fakeDeps } from "../helpers/fakes.ts";

const TOML = `default_env = "dev"
[envs.dev]
base_url = "https://api.example"
timeout = "45s"
[envs.dev.auth]
type = "client_credentials"
token_url = "https://idp.example/token"
client_id = "svc"
client_secret_env = "DEV_SECRET"
scopes = ["a", "b"]
`;

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "lmi-parsed-" });
  const deps = fakeDeps({
    env: { LMI_CACHE_DIR: join(dir, "cache"), LMI_TRUSTED_PATHS: dir },
    cwd: dir,
  });
  const config = join(dir, "lmi.toml");
  await Deno.writeTextFile(config, TOML);
  const cachePath = parsedCachePath(deps)!;
  return {
    dir,
    deps,
    config,
    cachePath,
    /** The cache file as JSON. */
    read: async () => JSON.parse(await Deno.readTextFile(cachePath)),
    write: (data: unknown) => Deno.writeTextFile(cachePath, JSON.stringify(data), { mode: 0o600 }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("parsed-config cache: what hits and what misses", async (t) => {
  await using s = await setup();
  const parsed = await parseConfigText(TOML, s.config);

  await t.step("loadConfig stores the parse in <cache>/lmi/config/parsed.json", async () => {
    assertEquals(s.cachePath, join(s.dir, "cache", "lmi", "config", "parsed.json"));
    const loaded = await loadConfig(s.deps, undefined);
    assertEquals(loaded.file, parsed);
    const [entry] = (await s.read()).entries;
    assertEquals([entry.path, entry.config], [s.config, parsed]);
    assertEquals(await readParsed(s.cachePath, s.config, TOML), parsed);
  });
  await t.step("a hit is what loadConfig returns (not a parse of the file)", async () => {
    // Proof by a planted parse: write one for this file and text, then load.
    const planted = { ...parsed, default_env: "planted" };
    await Deno.remove(s.cachePath);
    await writeParsed(s.cachePath, s.config, TOML, planted);
    assertEquals((await loadConfig(s.deps, undefined)).file.default_env, "planted");
    await Deno.remove(s.cachePath);
    await loadConfig(s.deps, undefined);
  });
  await t.step("another text is a miss: same size, same mtime, one letter changed", async () => {
    const { mtime, size } = await Deno.stat(s.config);
    const edited = TOML.replace('"a", "b"', '"a", "c"');
    await Deno.writeTextFile(s.config, edited);
    await Deno.utime(s.config, mtime!, mtime!);
    assertEquals((await Deno.stat(s.config)).size, size);
    assertEquals(await readParsed(s.cachePath, s.config, edited), undefined);
    const loaded = await loadConfig(s.deps, undefined);
    assertEquals(loaded.file.envs.dev?.auth?.scopes, ["a", "c"]);
    await Deno.writeTextFile(s.config, TOML);
  });
  await t.step("another size is a miss", async () => {
    const longer = TOML + "# a comment\n";
    assertEquals(await readParsed(s.cachePath, s.config, longer), undefined);
  });
  await t.step("a new mtime with the same text is a hit: the parse is of the text", async () => {
    await loadConfig(s.deps, undefined);
    await Deno.utime(s.config, new Date(), new Date(Date.now() + 60_000));
    assertEquals(await readParsed(s.cachePath, s.config, TOML), parsed);
  });
  await t.step("another path is a miss", async () => {
    assertEquals(await readParsed(s.cachePath, join(s.dir, "other.toml"), TOML), undefined);
  });
  await t.step("another lmi version or cache format is a miss", async () => {
    const file = await s.read();
    await s.write({ entries: [{ ...file.entries[0], lmi: "0.0.1" }] });
    assertEquals(await readParsed(s.cachePath, s.config, TOML), undefined);
    await s.write({ entries: [{ ...file.entries[0], format: 999 }] });
    assertEquals(await readParsed(s.cachePath, s.config, TOML), undefined);
    await s.write(file);
    assertEquals(await readParsed(s.cachePath, s.config, TOML), parsed);
  });
});

Deno.test("parsed-config cache: corrupt, tampered or unsafe files are misses", async (t) => {
  await using s = await setup();
  await loadConfig(s.deps, undefined);
  const good = await s.read();
  const miss = async () => assertEquals(await readParsed(s.cachePath, s.config, TOML), undefined);

  await t.step("a parse changed into one the validator would not make", async () => {
    // deno-lint-ignore no-explicit-any
    const changes: Array<(c: Record<string, any>) => void> = [
      (c) => c.envs.dev.timeout = "45s",
      (c) => c.envs.dev.auth.scopes = "a b",
      (c) => c.envs.dev.auth.type = "magic",
      (c) => c.envs.dev.auth.client_secret = "s3cret",
      (c) => c.envs.dev.retries = 11,
      (c) => c.envs.dev.headers = { "Bad Header": "x" },
      (c) => c.envs["Not A Name"] = {},
      (c) => c.default_env = 3,
      (c) => delete c.envs,
      (c) => c.extra = true,
    ];
    for (const change of changes) {
      const entry = structuredClone(good.entries[0]);
      change(entry.config);
      await s.write({ entries: [entry] });
      await miss();
      const loaded = await loadConfig(s.deps, undefined);
      assertEquals(loaded.file.envs.dev?.base_url, "https://api.example", String(change));
    }
  });
  await t.step("the text stored with the parse changed", async () => {
    const entry = structuredClone(good.entries[0]);
    entry.text = entry.text.replace("45s", "46s");
    await s.write({ entries: [entry] });
    await miss();
  });
  for (
    const [name, text] of [
      ["not JSON", "{ nope"],
      ["truncated", JSON.stringify(good).slice(0, 80)],
      ["no entries", "{}"],
      ["entries not a list", '{"entries": {"a": 1}}'],
      ["an entry of the wrong shape", '{"entries": [{"path": 1}]}'],
      ["an entry without its text", JSON.stringify({ entries: [{ ...good.entries[0], text: 1 }] })],
      [
        "a config that is not an object",
        JSON.stringify({ entries: [{ ...good.entries[0], config: [] }] }),
      ],
      ["empty", ""],
    ] as const
  ) {
    await t.step(name, async () => {
      await Deno.writeTextFile(s.cachePath, text, { mode: 0o600 });
      await miss();
      const loaded = await loadConfig(s.deps, undefined);
      assertEquals(loaded.file.envs.dev?.base_url, "https://api.example");
      assertEquals((await s.read()).entries[0].path, s.config, "replaced on the next write");
    });
  }
  if (Deno.build.os !== "windows") {
    await t.step("readable by others: not used, replaced by a private file", async () => {
      await s.write(good);
      await Deno.chmod(s.cachePath, 0o644);
      await miss();
      await loadConfig(s.deps, undefined);
      assertEquals((await Deno.stat(s.cachePath)).mode! & 0o777, 0o600);
      assertEquals(await readParsed(s.cachePath, s.config, TOML) !== undefined, true);
    });
    await t.step("a symbolic link: not followed", async () => {
      const elsewhere = join(s.dir, "elsewhere.json");
      await Deno.writeTextFile(elsewhere, JSON.stringify(good), { mode: 0o600 });
      await Deno.remove(s.cachePath);
      await Deno.symlink(elsewhere, s.cachePath);
      await miss();
    });
  }
});

Deno.test("parsed-config cache: a private file, bounded, and no secret in it", async (t) => {
  await using s = await setup();
  const secret = "dotenv-s3cret-value";
  const envSecret = "process-env-s3cret";
  await Deno.writeTextFile(join(s.dir, ".env"), `DEV_SECRET=${secret}\nOTHER=${secret}-2\n`);

  await t.step("folder 0700, file 0600", async () => {
    const loaded = await loadConfig(s.deps, undefined);
    const env = resolveNamedEnv(s.deps, loaded, "dev");
    assertEquals(env.auth.clientSecret?.value, secret, "the .env value is read");
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(s.cachePath)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(join(s.cachePath, ".."))).mode! & 0o777, 0o700);
    }
  });
  await t.step(
    "the variable's name is there, never a value from .env or the environment",
    async () => {
      const deps = fakeDeps({
        env: {
          LMI_CACHE_DIR: join(s.dir, "cache"),
          DEV_SECRET: envSecret,
          LMI_TRUSTED_PATHS: s.dir,
        },
        cwd: s.dir,
      });
      resolveNamedEnv(deps, await loadConfig(deps, undefined), "dev");
      const text = await Deno.readTextFile(s.cachePath);
      assertStringIncludes(text, "DEV_SECRET");
      assertNotIncludes(text, secret);
      assertNotIncludes(text, envSecret);
    },
  );
  await t.step(`at most ${MAX_PARSED_ENTRIES} config files, the latest first`, async () => {
    for (let i = 0; i < MAX_PARSED_ENTRIES + 3; i++) {
      await writeParsed(s.cachePath, join(s.dir, `c${i}.toml`), TOML, { envs: {} });
    }
    const paths = (await s.read()).entries.map((e: { path: string }) => e.path);
    assertEquals(paths.length, MAX_PARSED_ENTRIES);
    assertEquals(paths[0], join(s.dir, `c${MAX_PARSED_ENTRIES + 2}.toml`));
  });
  await t.step("no cache folder (no LMI_CACHE_DIR or HOME): parsed, nothing written", async () => {
    const deps = fakeDeps({ env: { LMI_TRUSTED_PATHS: s.dir }, cwd: s.dir });
    assertEquals(parsedCachePath(deps), undefined);
    assertEquals((await loadConfig(deps, undefined)).file.default_env, "dev");
  });
});

Deno.test("parsed-config cache: errors are never cached", async () => {
  await using s = await setup();
  await Deno.writeTextFile(s.config, TOML.replace('timeout = "45s"', 'timeout = "soon"'));
  for (let i = 0; i < 2; i++) {
    await assertRejects(() => loadConfig(s.deps, undefined), ConfigError, "timeout");
  }
  const exists = await Deno.stat(s.cachePath).then(() => true, () => false);
  assert(!exists, "nothing was stored");
});

Deno.test("parsed-config cache: only what JSON carries exactly is stored", () => {
  assertEquals(jsonExact({ envs: { a: { timeout: 30_000, headers: { x: "y" } } } }), true);
  assertEquals(jsonExact({ a: -0 }), false);
  assertEquals(jsonExact({ a: NaN }), false);
  assertEquals(jsonExact({ a: undefined }), false);
  assertEquals(jsonExact({ a: new Date() }), false);
  assertEquals(jsonExact(Object.create(null)), false);
});
