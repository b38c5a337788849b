/**
 * The parsed-config cache (src/config/parsed_cache.ts): a hit only for the same file and text,
 * written by the same lmi, with the MAC the user's cache key gives; anything changed, corrupt,
 * tampered with, not lmi's or made under another key (or with no key) is a miss; a private file;
 * and never a secret in it.
 */
import { sha256Hex } from "../../src/util/sha256.ts";
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertRejects,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { MAX_PRIVATE_FILE_BYTES } from "../../src/util/private_files.ts";
import { loadConfig, parseConfigText } from "../../src/config/load.ts";
import {
  entryMac,
  jsonExact,
  MAX_PARSED_ENTRIES,
  parsedCachePath,
  type ParsedEntry,
  readParsed,
  writeParsed,
} from "../../src/config/parsed_cache.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { ConfigError } from "../../src/errors.ts";
import { UntrustedConfigError } from "../../src/config/trust.ts";
import { readOnlyKey, userCacheKey } from "../../src/util/cache_key.ts";
import { fakeDeps, homeVars } from "../helpers/fakes.ts";
import { exists } from "../helpers/files.ts";

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
  const env = {
    ...homeVars(join(dir, "home")),
    LMI_CACHE_DIR: join(dir, "cache"),
    LMI_TRUSTED_PATHS: dir,
  };
  const deps = fakeDeps({ env, cwd: dir });
  const config = join(dir, "lmi.toml");
  await Deno.writeTextFile(config, TOML);
  const cachePath = parsedCachePath(deps)!;
  const s = {
    dir,
    env,
    deps,
    config,
    cachePath,
    /** The user's cache key (loadConfig makes it on its first write). */
    key: () => deps.cacheKey.read(),
    /** The cached parse of lmi.toml's text, read as a run with this user's key reads it. */
    parsed: (text = TOML) => readParsed(cachePath, config, text, deps.cacheKey.read())?.config,
    /** The cache file as JSON. */
    read: async () => JSON.parse(await Deno.readTextFile(cachePath)),
    write: (data: unknown) => Deno.writeTextFile(cachePath, JSON.stringify(data), { mode: 0o600 }),
    /** `entry` with the MAC this user's key gives it (an edit lmi itself might have made). */
    seal: (entry: Omit<ParsedEntry, "mac">): ParsedEntry => ({
      ...entry,
      mac: entryMac(deps.cacheKey.read()!, entry),
    }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
  return s;
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
    assertEquals(entry.mac, entryMac(s.key()!, entry), "MACed under the user's key");
    assertEquals(s.parsed(), parsed);
  });
  await t.step("a hit is what loadConfig returns (not a parse of the file)", async () => {
    // Proof by a planted parse: write one for this file and text, then load.
    const planted = { ...parsed, default_env: "planted" };
    await Deno.remove(s.cachePath);
    await writeParsed(s.cachePath, s.config, TOML, sha256Hex(TOML), planted, s.key()!);
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
    assertEquals(s.parsed(edited), undefined);
    const loaded = await loadConfig(s.deps, undefined);
    assertEquals(loaded.file.envs.dev?.auth?.scopes, ["a", "c"]);
    await Deno.writeTextFile(s.config, TOML);
  });
  await t.step("another size is a miss", () => {
    const longer = TOML + "# a comment\n";
    assertEquals(s.parsed(longer), undefined);
  });
  await t.step("a new mtime with the same text is a hit: the parse is of the text", async () => {
    await loadConfig(s.deps, undefined);
    await Deno.utime(s.config, new Date(), new Date(Date.now() + 60_000));
    assertEquals(s.parsed(), parsed);
  });
  await t.step("another path is a miss", () => {
    assertEquals(readParsed(s.cachePath, join(s.dir, "other.toml"), TOML, s.key()), undefined);
  });
  await t.step("another lmi version or cache format is a miss (even with a good MAC)", async () => {
    const file = await s.read();
    await s.write({ entries: [s.seal({ ...file.entries[0], lmi: "0.0.1" })] });
    assertEquals(s.parsed(), undefined);
    await s.write({ entries: [s.seal({ ...file.entries[0], format: 999 })] });
    assertEquals(s.parsed(), undefined);
    await s.write(file);
    assertEquals(s.parsed(), parsed);
  });
});

Deno.test("parsed-config cache: an entry without this user's MAC is a miss", async (t) => {
  await using s = await setup();
  await loadConfig(s.deps, undefined);
  const good = await s.read();
  const entry = good.entries[0] as ParsedEntry;
  const planted = { ...entry.config, default_env: "planted" };
  /** Loading the config now gives the file's own parse, and leaves the good entry cached. */
  const rebuilt = async () => {
    assertEquals(s.parsed(), undefined, "a miss");
    assertEquals((await loadConfig(s.deps, undefined)).file.default_env, "dev");
    assertEquals((await s.read()).entries[0].mac, entry.mac, "rewritten under the key");
    assertEquals(s.parsed()?.default_env, "dev");
  };

  await t.step("edited (valid JSON, 0600, same path and text), MAC kept", async () => {
    await s.write({ entries: [{ ...entry, config: planted }] });
    await rebuilt();
  });
  await t.step("no MAC", async () => {
    const { mac: _, ...unsealed } = entry;
    await s.write({ entries: [{ ...unsealed, config: planted }] });
    await rebuilt();
  });
  await t.step("a MAC that is not a string", async () => {
    await s.write({ entries: [{ ...entry, mac: 0 }] });
    await rebuilt();
  });
  await t.step("a MAC under another key (another user's or machine's cache)", async () => {
    const other = crypto.getRandomValues(new Uint8Array(32));
    const fields = { ...entry, config: planted };
    await s.write({ entries: [{ ...fields, mac: entryMac(other, fields) }] });
    assertEquals(readParsed(s.cachePath, s.config, TOML, other)?.config.default_env, "planted");
    await rebuilt();
  });
  await t.step("the entries of another key are dropped when the file is written", async () => {
    const other = crypto.getRandomValues(new Uint8Array(32));
    const foreign = { ...entry, path: join(s.dir, "foreign.toml") };
    await s.write({ entries: [{ ...foreign, mac: entryMac(other, foreign) }] });
    await loadConfig(s.deps, undefined);
    assertEquals((await s.read()).entries.map((e: ParsedEntry) => e.path), [s.config]);
  });
  await t.step("no key: a miss, whatever the file holds", () => {
    assertEquals(readParsed(s.cachePath, s.config, TOML, undefined), undefined);
  });
  await t.step("the key file is gone: a miss; the full program makes a new key", async () => {
    const keyFile = join(s.dir, "home", ...dataPath(), "cache.key");
    await Deno.remove(keyFile);
    const deps = fakeDeps({ env: s.env, cwd: s.dir });
    assertEquals(readParsed(s.cachePath, s.config, TOML, deps.cacheKey.read()), undefined);
    assertEquals((await loadConfig(deps, undefined)).file.default_env, "dev");
    assert(deps.cacheKey.read(), "a new key");
    assert((await s.read()).entries[0].mac !== entry.mac, "rewritten under the new key");
  });
  await t.step(
    "a read-only key (the warm path): parsed, nothing written, no key made",
    async () => {
      const keyFile = join(s.dir, "home", ...dataPath(), "cache.key");
      await Deno.remove(keyFile);
      await Deno.remove(s.cachePath);
      const deps = fakeDeps({ env: s.env, cwd: s.dir });
      const warm = { ...deps, cacheKey: readOnlyKey(deps.cacheKey) };
      assertEquals((await loadConfig(warm, undefined)).file.default_env, "dev");
      assertEquals(await exists(keyFile), false);
      assertEquals(await exists(s.cachePath), false);
    },
  );
});

/** `<data>/lmi` below the home folder on this OS. */
function dataPath(): string[] {
  switch (Deno.build.os) {
    case "windows":
      return ["AppData", "Roaming", "lmi"];
    case "darwin":
      return ["Library", "Application Support", "lmi"];
    default:
      return [".local", "share", "lmi"];
  }
}

Deno.test("parsed-config cache: corrupt, tampered or unsafe files are misses", async (t) => {
  await using s = await setup();
  await loadConfig(s.deps, undefined);
  const good = await s.read();
  const miss = () => assertEquals(s.parsed(), undefined);

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
      await s.write({ entries: [s.seal(entry)] });
      await miss();
      const loaded = await loadConfig(s.deps, undefined);
      assertEquals(loaded.file.envs.dev?.base_url, "https://api.example", String(change));
    }
  });
  await t.step("the text stored with the parse changed", async () => {
    const entry = structuredClone(good.entries[0]);
    entry.text = entry.text.replace("45s", "46s");
    await s.write({ entries: [s.seal(entry)] });
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
  await t.step("larger than lmi writes (valid JSON padded past 64 MiB): not read", async () => {
    const padded = JSON.stringify(good) + " ".repeat(MAX_PRIVATE_FILE_BYTES);
    await Deno.writeTextFile(s.cachePath, padded, { mode: 0o600 });
    await miss();
    await loadConfig(s.deps, undefined);
    assertEquals((await Deno.stat(s.cachePath)).size < 1024 * 1024, true, "replaced");
  });
  if (Deno.build.os !== "windows") {
    await t.step("readable by others: not used, replaced by a private file", async () => {
      await s.write(good);
      await Deno.chmod(s.cachePath, 0o644);
      await miss();
      await loadConfig(s.deps, undefined);
      assertEquals((await Deno.stat(s.cachePath)).mode! & 0o777, 0o600);
      assertEquals(s.parsed() !== undefined, true);
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
        env: { ...s.env, DEV_SECRET: envSecret },
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
      await writeParsed(
        s.cachePath,
        join(s.dir, `c${i}.toml`),
        TOML,
        sha256Hex(TOML),
        { envs: {} },
        s.key()!,
      );
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
  await t.step("no data folder (LMI_CACHE_DIR, no HOME): no key, so never cached", async () => {
    const cache = join(s.dir, "cache-without-home");
    const deps = fakeDeps({ env: { LMI_CACHE_DIR: cache, LMI_TRUSTED_PATHS: s.dir }, cwd: s.dir });
    assertEquals(deps.cacheKey.read(), undefined);
    for (let i = 0; i < 2; i++) {
      assertEquals((await loadConfig(deps, undefined)).file.default_env, "dev");
    }
    assertEquals(await exists(join(cache, "lmi", "config", "parsed.json")), false);
    assertEquals(await userCacheKey(undefined).readOrCreate(), undefined);
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

Deno.test("parsed-config cache: not read for a discovered file lmi may not use", async (t) => {
  await using s = await setup();
  await loadConfig(s.deps, undefined); // a good entry for lmi.toml, while its folder is trusted
  let reads = 0;
  const key = s.deps.cacheKey;
  const deps = fakeDeps({
    env: { ...s.env, LMI_TRUSTED_PATHS: "" },
    cwd: s.dir,
    cacheKey: { read: () => (reads++, key.read()), readOrCreate: (w) => key.readOrCreate(w) },
  });
  await t.step(
    "untrusted, without a record: refused before the cache or its key is read",
    async () => {
      await assertRejects(() => loadConfig(deps, undefined), UntrustedConfigError);
      assertEquals(reads, 0);
    },
  );
  await t.step("named with --config: read once, when trust is settled", async () => {
    const loaded = await loadConfig(deps, s.config);
    assertEquals([loaded.file.default_env, reads], ["dev", 1]);
  });
});
