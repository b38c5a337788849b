/**
 * The key of lmi's caches (src/util/cache_key.ts): made on first use as a private file (0600 in
 * a 0700 folder), once whoever races to make it, read at most once a process, never made by a
 * read, and never used when it is not this user's private file or not a key.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { KEY_FILE, readOnlyKey, userCacheKey } from "../../src/util/cache_key.ts";
import { toHex } from "../../src/util/hmac.ts";
import { exists } from "../helpers/files.ts";

const posix = Deno.build.os !== "windows";

async function setup() {
  const root = await Deno.makeTempDir({ prefix: "lmi-key-" });
  const dir = join(root, "data", "lmi");
  return {
    root,
    dir,
    file: join(dir, KEY_FILE),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** A warn function that remembers what it heard. */
function heard() {
  const messages: string[] = [];
  return { messages, warn: (m: string) => void messages.push(m) };
}

Deno.test("cache key: made on first use, a private file holding 32 random bytes", async (t) => {
  await using s = await setup();

  await t.step("reading never makes it", async () => {
    const key = userCacheKey(s.dir);
    assertEquals(key.read(), undefined);
    assertEquals(await readOnlyKey(key).readOrCreate(), undefined);
    assertEquals(await exists(join(s.root, "data")), false, "no folder either");
  });
  let made: Uint8Array | undefined;
  await t.step("readOrCreate makes it: 0600 in a 0700 folder", async () => {
    const { messages, warn } = heard();
    made = await userCacheKey(s.dir).readOrCreate(warn);
    assertEquals(made?.length, 32);
    assertEquals(messages, []);
    assertEquals(await Deno.readTextFile(s.file), toHex(made!) + "\n");
    if (posix) {
      assertEquals((await Deno.stat(s.file)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(s.dir)).mode! & 0o777, 0o700);
    }
    assertEquals([...Deno.readDirSync(s.dir)].map((e) => e.name), [KEY_FILE], "no temp file left");
  });
  await t.step("another process's read finds the same key", async () => {
    assertEquals(userCacheKey(s.dir).read(), made);
    assertEquals(await userCacheKey(s.dir).readOrCreate(), made);
  });
  await t.step("read once a process: one object remembers what it read", async () => {
    const key = userCacheKey(s.dir);
    assertEquals(key.read(), made);
    await Deno.writeTextFile(s.file, "0".repeat(64) + "\n");
    assertEquals(key.read(), made, "not read again");
    assertEquals(await key.readOrCreate(), made);
    assertEquals(userCacheKey(s.dir).read(), new Uint8Array(32), "a new object reads the file");
  });
  await t.step("two keys differ", async () => {
    await using other = await setup();
    const key = await userCacheKey(other.dir).readOrCreate();
    assert(key && toHex(key) !== toHex(made!));
  });
});

Deno.test("cache key: parallel first uses agree on one key", async (t) => {
  await t.step("in one process", async () => {
    await using s = await setup();
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => userCacheKey(s.dir).readOrCreate()),
    );
    const onDisk = (await Deno.readTextFile(s.file)).trim();
    assertEquals(new Set(keys.map((k) => toHex(k!))), new Set([onDisk]));
  });
  await t.step("in parallel processes", async () => {
    await using s = await setup();
    const script = join(s.root, "make_key.ts");
    const module = new URL("../../src/util/cache_key.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { userCacheKey } from ${JSON.stringify(module)};
const key = await userCacheKey(Deno.args[0]).readOrCreate();
console.log(key ? Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("") : "none");
`,
    );
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "--quiet", "--no-config", "--no-lock", "--allow-all", script, s.dir],
          cwd: s.root,
          stdout: "piped",
          stderr: "piped",
        }).output()),
    );
    const printed = runs.map((r) => new TextDecoder().decode(r.stdout).trim());
    const onDisk = (await Deno.readTextFile(s.file)).trim();
    assertEquals(printed, Array(6).fill(onDisk), new TextDecoder().decode(runs[0]!.stderr));
  });
});

Deno.test("cache key: a key file lmi may not use is refused, then replaced", async (t) => {
  await using s = await setup();
  const first = await userCacheKey(s.dir).readOrCreate();
  assert(first);

  /** The file is refused (read gives nothing), and readOrCreate says why and makes a new key. */
  const refusedThenReplaced = async (why: string) => {
    assertEquals(userCacheKey(s.dir).read(), undefined, "refused");
    const { messages, warn } = heard();
    const replaced = await userCacheKey(s.dir).readOrCreate(warn);
    assertEquals(messages.length, 1);
    assertStringIncludes(messages[0]!, why);
    assertStringIncludes(messages[0]!, s.file);
    assert(replaced && toHex(replaced) !== toHex(first), "a new key");
    assertEquals(userCacheKey(s.dir).read(), replaced);
    if (posix) assertEquals((await Deno.lstat(s.file)).mode! & 0o777, 0o600);
  };

  if (posix) {
    await t.step("readable by others (mode widened to 0644)", async () => {
      await Deno.chmod(s.file, 0o644);
      await refusedThenReplaced("lets others read it");
    });
    await t.step("readable by the group (0640)", async () => {
      await Deno.chmod(s.file, 0o640);
      await refusedThenReplaced("lets others read it");
    });
    await t.step({
      name: "another user's file",
      ignore: Deno.uid() !== 0, // only root can give a file away
      fn: async () => {
        await Deno.chown(s.file, 65534, 65534);
        await refusedThenReplaced("belongs to another user");
      },
    });
    await t.step("a symbolic link to a private key file", async () => {
      const elsewhere = join(s.root, "elsewhere.key");
      await Deno.writeTextFile(elsewhere, toHex(first) + "\n", { mode: 0o600 });
      await Deno.remove(s.file);
      await Deno.symlink(elsewhere, s.file);
      await refusedThenReplaced("symbolic link");
      assertEquals((await Deno.readTextFile(elsewhere)).trim(), toHex(first), "left alone");
    });
  }
  for (
    const [name, text] of [
      ["empty", ""],
      ["too short", "ab".repeat(16)],
      ["not hex", "zz".repeat(32)],
      ["upper-case hex with junk after", toHex(first).toUpperCase() + " junk"],
    ] as const
  ) {
    await t.step(`not a key: ${name}`, async () => {
      await Deno.remove(s.file);
      await Deno.writeTextFile(s.file, text, { mode: 0o600 });
      await refusedThenReplaced("does not hold a key");
    });
  }
});

Deno.test("cache key: no data folder, or one lmi cannot use: no key, no crash", async (t) => {
  await t.step("no data folder (no HOME or APPDATA)", async () => {
    const key = userCacheKey(undefined);
    assertEquals(key.read(), undefined);
    assertEquals(await key.readOrCreate(), undefined);
  });
  if (posix) {
    await t.step("a data folder open to others: refused, said once", async () => {
      await using s = await setup();
      await Deno.mkdir(s.dir, { recursive: true, mode: 0o755 });
      await Deno.chmod(s.dir, 0o755);
      const key = userCacheKey(s.dir);
      const { messages, warn } = heard();
      assertEquals(await key.readOrCreate(warn), undefined);
      assertEquals(await key.readOrCreate(warn), undefined);
      assertEquals(messages.length, 1);
      assertStringIncludes(messages[0]!, "lmi's caches are not used");
      assertEquals(await exists(s.file), false);
    });
    await t.step("a data folder lmi cannot make (a file stands in its place)", async () => {
      // Mode bits do not stop root (the tests run as root in CI); a file where the folder's
      // parent should be stops everyone.
      await using s = await setup();
      await Deno.writeTextFile(join(s.root, "data"), "not a folder\n");
      const { messages, warn } = heard();
      const key = userCacheKey(s.dir);
      assertEquals(await key.readOrCreate(warn), undefined);
      assertEquals(await key.readOrCreate(warn), undefined);
      assertEquals(messages.length, 1, "said once");
      assertStringIncludes(messages[0]!, "lmi's caches are not used");
    });
  }
});
