/**
 * SSO session stores: the macOS and Windows keychains through their command-runner seam (the
 * exact commands, and no secret on any command line), chunking of large values, the file store,
 * and how the store is chosen.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { ConfigError } from "../../src/errors.ts";
import { join } from "../../src/util/path.ts";
import type { CommandRunner, RunOptions } from "../../src/sso/runner.ts";
import { macosKeychainStore } from "../../src/sso/keychain_macos.ts";
import { targetName, windowsCredentialStore } from "../../src/sso/keychain_windows.ts";
import { secretServiceStore } from "../../src/sso/keychain_linux.ts";
import { chooseStore, fileNameFor, fileStore, KeychainUnavailable } from "../../src/sso/store.ts";
import { fakeDeps, homeVars, testLogger } from "../helpers/fakes.ts";
import { ignoreUnless, POSIX_MODES } from "../helpers/components.ts";

interface Call {
  cmd: string;
  args: string[];
  stdin: string | undefined;
}

/** A fake `security` keeping passwords in a map, recording every call. */
function fakeSecurity(): { run: CommandRunner; calls: Call[]; items: Map<string, string> } {
  const items = new Map<string, string>();
  const calls: Call[] = [];
  const run: CommandRunner = (cmd, args, options: RunOptions) => {
    calls.push({ cmd, args, stdin: options.stdin });
    const ok = (stdout = "") => Promise.resolve({ code: 0, stdout, stderr: "", timedOut: false });
    const account = args[args.indexOf("-a") + 1]!;
    switch (args[0]) {
      case "find-generic-password":
        return items.has(account)
          ? ok(items.get(account)! + "\n")
          : Promise.resolve({ code: 44, stdout: "", stderr: "", timedOut: false });
      case "delete-generic-password":
        return items.delete(account)
          ? ok()
          : Promise.resolve({ code: 44, stdout: "", stderr: "", timedOut: false });
      case "-i": {
        const m = /-a "([^"]+)" .*-X ([0-9a-f]+)/.exec(options.stdin ?? "")!;
        const bytes = new Uint8Array(m[2]!.match(/../g)!.map((h) => parseInt(h, 16)));
        items.set(m[1]!, new TextDecoder().decode(bytes));
        return ok();
      }
      default:
        return ok();
    }
  };
  return { run, calls, items };
}

const SECRET = JSON.stringify({
  refresh_token: "rt-secret-value-123",
  access_token: "x".repeat(4000),
});

Deno.test("macOS Keychain through `security`", async (t) => {
  const fake = fakeSecurity();
  const store = macosKeychainStore(fake.run);
  await t.step("a large value is split, stored, read back whole", async () => {
    await store.set("sso:https://idp", SECRET);
    assertEquals(await store.get("sso:https://idp"), SECRET);
    assert(fake.items.size > 2, "split into parts");
    assertMatch(fake.items.get("sso:https://idp")!, /^lmi-chunks:\d+$/);
  });
  await t.step("the exact commands; no secret on any command line", () => {
    const writes = fake.calls.filter((c) => c.args[0] === "-i");
    assert(writes.length > 0);
    for (const c of fake.calls) {
      assertEquals(c.cmd, "security");
      assert(!c.args.join(" ").includes("rt-secret-value"), `secret in argv: ${c.args.join(" ")}`);
    }
    assertEquals(fake.calls.find((c) => c.args[0] === "find-generic-password")!.args, [
      "find-generic-password",
      "-s",
      "lmi",
      "-a",
      "sso:https://idp",
      "-w",
    ]);
    assertMatch(
      writes[0]!.stdin!,
      /^add-generic-password -U -s "lmi" -a "sso:https:\/\/idp#1" -l "lmi: sso:https:\/\/idp#1" -X [0-9a-f]+\n$/,
    );
  });
  await t.step(
    "replacing with a small value removes the old parts; delete removes all",
    async () => {
      await store.set("sso:https://idp", '{"small":true}');
      assertEquals([...fake.items.keys()], ["sso:https://idp"]);
      assertEquals(await store.delete("sso:https://idp"), true);
      assertEquals(fake.items.size, 0);
      assertEquals(await store.get("sso:https://idp"), undefined);
    },
  );
});

Deno.test("Windows Credential Manager through PowerShell on stdin", async () => {
  const creds = new Map<string, string>();
  const calls: Call[] = [];
  const run: CommandRunner = (cmd, args, options) => {
    calls.push({ cmd, args, stdin: options.stdin });
    const script = options.stdin ?? "";
    const b64s = [...script.matchAll(/FromBase64String\('([^']*)'\)/g)].map((m) =>
      new TextDecoder().decode(Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0)))
    );
    let stdout = "";
    if (script.includes("[LmiCred]::Write(")) creds.set(b64s[0]!, b64s[2]!);
    else if (script.includes("[LmiCred]::Read(")) {
      const v = creds.get(b64s[0]!);
      stdout = v === undefined
        ? "missing\n"
        : `found:${btoa(String.fromCharCode(...new TextEncoder().encode(v)))}\n`;
    } else if (script.includes("[LmiCred]::Delete(")) {
      stdout = creds.delete(b64s[0]!) ? "True\n" : "False\n";
    }
    return Promise.resolve({ code: 0, stdout, stderr: "", timedOut: false });
  };
  const store = windowsCredentialStore(run);
  await store.set("sso:https://idp", SECRET);
  assertEquals(await store.get("sso:https://idp"), SECRET);
  assert(creds.has(targetName("sso:https://idp#1")), "split under the 2560-byte blob limit");
  for (const value of creds.values()) assert(new TextEncoder().encode(value).length <= 2560);
  for (const c of calls) {
    assertEquals([c.cmd, c.args], ["powershell.exe", [
      "-NoProfile",
      "-NonInteractive",
      "-Command",
      "-",
    ]]);
  }
  assertEquals(await store.delete("sso:https://idp"), true);
  assertEquals(creds.size, 0);
});

Deno.test("a keychain that does not answer in time is unavailable, not a hang", async () => {
  const slow: CommandRunner = () =>
    Promise.resolve({ code: 137, stdout: "", stderr: "", timedOut: true });
  await assertRejects(() => secretServiceStore(slow).get("sso:x"), KeychainUnavailable, "3 s");
  assertEquals(await secretServiceStore(slow).available(), false);
});

Deno.test("choosing the store", async (t) => {
  const home = await Deno.makeTempDir();
  const never: CommandRunner = () => Promise.reject(new Error("the keychain must not be called"));
  const noKeychain: CommandRunner = () =>
    Promise.resolve({
      code: 1,
      stdout: "",
      stderr: "Cannot autolaunch D-Bus without X11 $DISPLAY",
      timedOut: false,
    });
  await t.step("CI means the file store, without asking the keychain", async () => {
    const deps = fakeDeps({ env: { ...homeVars(home), CI: "true" } });
    const store = await chooseStore({ deps, log: testLogger(deps), run: never });
    assertEquals(store.kind, "file");
  });
  await t.step("LMI_KEYRING=file", async () => {
    const deps = fakeDeps({ env: { ...homeVars(home), LMI_KEYRING: "file" } });
    assertEquals((await chooseStore({ deps, log: testLogger(deps), run: never })).kind, "file");
  });
  await t.step(
    "no keychain answering: the file store, with a warning shown once per user",
    async () => {
      const own = join(home, "no-keychain");
      const run = async () => {
        const deps = fakeDeps({ env: { HOME: own } });
        deps.os = "linux";
        const log = testLogger(deps);
        const store = await chooseStore({ deps, log, run: noKeychain });
        assertEquals([store.kind, store.reason], ["file", "no keychain answered"]);
        await chooseStore({ deps, log, run: noKeychain });
        await log.flush();
        return deps.stderr.text();
      };
      assertEquals((await run()).match(/no keychain answered/g)?.length, 1);
      assertEquals(await run(), "", "another process: remembered on disk, not said again");
    },
  );
  await t.step("no data folder: exit 3 naming the variable to set on this OS", async () => {
    for (const [os, variable] of [["linux", "HOME"], ["windows", "APPDATA"]] as const) {
      const deps = fakeDeps({ env: { CI: "true" } });
      deps.os = os;
      const err = await assertRejects(
        () => chooseStore({ deps, log: testLogger(deps), run: never }),
        ConfigError,
        `${variable} is not set`,
      );
      assertEquals(err.code, "NO_DATA_DIR");
      assertEquals(err.hint, `set ${variable}`);
    }
  });
  await t.step("the file store: 0600 files in a 0700 folder under the data folder", async () => {
    const store = fileStore(join(home, "data"));
    await store.set("sso:https://idp/realms/x", "{}");
    assertEquals(await store.get("sso:https://idp/realms/x"), "{}");
    const file = join(home, "data", "sso", fileNameFor("sso:https://idp/realms/x"));
    assertMatch(
      fileNameFor("sso:https://idp/realms/x"),
      /^sso_https_idp_realms_x-[0-9a-f]{8}\.json$/,
    );
    assert(
      fileNameFor("sso:https://idp/realms/x") !== fileNameFor("sso:https://idp/realms_x"),
      "no shared file",
    );
    if (!ignoreUnless("the SSO file store's 0600 file in a 0700 folder", POSIX_MODES)) {
      assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(join(home, "data", "sso"))).mode! & 0o777, 0o700);
    }
    assertEquals(await store.delete("sso:https://idp/realms/x"), true);
  });
  await Deno.remove(home, { recursive: true });
});

Deno.test("a keychain that fails mid-way (locked collection) falls back to the file, with a warning", async () => {
  const home = await Deno.makeTempDir();
  const deps = fakeDeps({ env: { HOME: home } });
  deps.os = "linux";
  const log = testLogger(deps);
  const locked: CommandRunner = (_cmd, args) =>
    Promise.resolve(
      args[0] === "store"
        ? {
          code: 1,
          stdout: "",
          stderr: "secret-tool: Cannot create an item in a locked collection",
          timedOut: false,
        }
        : { code: args[0] === "search" ? 0 : 1, stdout: "", stderr: "", timedOut: false },
    );
  const store = await chooseStore({ deps, log, run: locked });
  assertEquals(store.kind, "keychain");
  await store.set("sso:https://idp", '{"s":1}');
  assertEquals(await store.get("sso:https://idp"), '{"s":1}');
  await log.flush();
  assertMatch(
    deps.stderr.text(),
    /the keychain failed \(secret-tool store failed: .*locked collection\); using a private file/,
  );
  assertEquals(await store.delete("sso:https://idp"), true);
  await Deno.remove(home, { recursive: true });
});
