/**
 * Hostile config (issue 9, defects 12–14): header fields, duration ranges, files that never end
 * and the line lookup for error messages. Each is a config error (exit 3) or a usage error (exit
 * 2) naming what would be valid, before anything is sent; nothing grows without bound.
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { failed, IDP, serviceEnv, world } from "../helpers/in_process.ts";
import { sandbox } from "../helpers/cli.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { ignoreUnless, LINUX, POSIX } from "../helpers/components.ts";
import { loadConfig, parseConfigText } from "../../src/config/load.ts";
import { findKeyLine } from "../../src/config/key_line.ts";
import { resolveEnv } from "../../src/config/resolve.ts";
import { MAX_FILE_BYTES, readSmallFile } from "../../src/config/small_file.ts";
import { caFileCertificates, pemCertificates } from "../../src/http/tls.ts";
import { ConfigError } from "../../src/errors.ts";

const FILE = "/cfg/lmi.toml";
/** A hard limit for a subprocess that must answer at once: a hang is killed, never waited for. */
const KILL_AFTER_MS = 20_000;

async function configError(toml: string): Promise<ConfigError> {
  return await assertRejects(() => parseConfigText(toml, FILE), ConfigError);
}

/** The error as the CLI prints it: one line, then the hint. */
function shown(err: ConfigError): { code: number; message: string; hint: string | undefined } {
  return { code: err.exitCode, message: err.message, hint: err.hint };
}

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

Deno.test("header names and values are checked when the config is read (defect 12)", async (t) => {
  const NAME_HINT = "header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)";
  const VALUE_HINT =
    "header values are printable ASCII: no line breaks or other control characters";
  await t.step("a name with a space, quoted in the key path, with its line", async () => {
    const err = await configError('[envs.dev]\nheaders = { "Bad Header" = "v" }\n');
    assertEquals(shown(err), {
      code: 3,
      message: `${FILE}:2: envs.dev.headers."Bad Header": invalid header name`,
      hint: NAME_HINT,
    });
  });
  await t.step("an empty name, a colon, a non-ASCII name", async () => {
    for (const [name, message] of [['""', "empty header name"], ['"X:y"', "invalid header name"]]) {
      const err = await configError(`[envs.dev]\nretries = 1\nheaders = { ${name} = "v" }\n`);
      assertEquals(shown(err), {
        code: 3,
        message: `${FILE}:3: envs.dev.headers.${name}: ${message}`,
        hint: NAME_HINT,
      });
    }
    assertMatch((await configError('[envs.dev.headers]\n"Tenänt" = "v"\n')).message, /:2: /);
  });
  await t.step("CR/LF, NUL, ESC, DEL in a value: the character is named, escaped", async () => {
    for (const value of ["a\\r\\nX-Evil: 1", "a\\u0000b", "\\u001b[31mred", "a\\u007fb", "\\n"]) {
      const err = await configError(`[envs.dev.headers]\nX-Ok = "1"\nX-Trace = "${value}"\n`);
      assertEquals(err.exitCode, 3);
      assertMatch(
        err.message,
        /^\/cfg\/lmi\.toml:3: envs\.dev\.headers\.X-Trace: invalid header value \(character \d is "\\[a-z0-9]+"\)$/,
      );
      assert(!err.message.includes("Evil") && !err.message.includes("red"), err.message);
      assertEquals(err.hint, VALUE_HINT);
      assert(!/\p{Cc}/u.test(err.message), err.message);
    }
  });
  await t.step("what HTTP allows is kept: token characters, tabs, an empty value", async () => {
    const cfg = await parseConfigText(
      '[envs.dev]\nheaders = { "!#$%&\'*+-.^_`|~09Az" = "a\\tb c", X-Empty = "" }\n',
      FILE,
    );
    assertEquals(cfg.envs.dev?.headers, { "!#$%&'*+-.^_`|~09Az": "a\tb c", "X-Empty": "" });
  });
  await t.step(
    "lmi request: exit 3 before any request (it was an unexpected failure)",
    async () => {
      await using w = await world(
        `${serviceEnv("dev")}[envs.dev.headers]\nX-Trace = "a\\r\\nX-Evil: 1"\n`,
      );
      const r = await w.lmi("request", "-e", "dev", "/echo");
      assertEquals(
        r,
        failed(
          3,
          `${join(w.dir, "lmi.toml")}:10: envs.dev.headers.X-Trace: invalid header value ` +
            '(character 2 is "\\r")',
          VALUE_HINT,
        ),
      );
      assertEquals([w.tokenRequests, w.apiRequests], [0, []]);
    },
  );
});

Deno.test("durations have ranges (defect 13)", async (t) => {
  const TIMEOUT_HINT = 'write a duration from 1s to 24h, like "90s", "5m" or "1h"';
  const MARGIN_HINT = 'write a duration from 0s to 24h, like "90s", "5m" or "1h"';
  await t.step("timeout: under 1s or over 24h is exit 3 naming the range", async () => {
    for (const value of ['"0s"', "0", '"999ms"', '"24h1s"', '"99999999999h"', "1e300", '"2d"']) {
      const err = await configError(`[envs.dev]\ntimeout = ${value}\n`);
      assertEquals(err.exitCode, 3, value);
      assertMatch(err.message, /^\/cfg\/lmi\.toml:2: envs\.dev\.timeout: out of range: /);
      assertEquals(err.hint, TIMEOUT_HINT);
    }
  });
  await t.step("refresh_margin: 0s to 24h", async () => {
    const err = await configError('[envs.dev.auth]\nrefresh_margin = "25h"\n');
    assertEquals(shown(err), {
      code: 3,
      message: `${FILE}:2: envs.dev.auth.refresh_margin: out of range: "25h"`,
      hint: MARGIN_HINT,
    });
  });
  await t.step("the bounds themselves are accepted, and stay under 2^31 ms", async () => {
    for (const [timeout, margin, ms] of [["1s", "0s", 1000], ["24h", "24h", 86_400_000]] as const) {
      const cfg = await parseConfigText(
        `[envs.dev]\ntimeout = "${timeout}"\n[envs.dev.auth]\nrefresh_margin = "${margin}"\n`,
        FILE,
      );
      assertEquals(cfg.envs.dev?.timeout, ms);
      assert(cfg.envs.dev!.timeout! < 2 ** 31);
      assertEquals(cfg.envs.dev?.auth?.refresh_margin, margin === "0s" ? 0 : ms);
    }
  });
  await t.step("--min-ttl 0s to 24h, login sso --timeout 1s to 24h: exit 2", async () => {
    await using w = await world(`default_env = "dev"\n${serviceEnv("dev")}`);
    const cases: Array<[string[], string, string]> = [
      [["auth", "token", "--min-ttl", "25h"], '--min-ttl: out of range: "25h"', MARGIN_HINT],
      [
        ["exec", "--min-ttl", "9999999h", "--", "true"],
        '--min-ttl: out of range: "9999999h"',
        MARGIN_HINT,
      ],
      [["login", "sso", "--timeout", "0.5s"], '--timeout: out of range: "0.5s"', TIMEOUT_HINT],
      [
        ["login", "sso", "--timeout", "99999999999h"],
        '--timeout: out of range: "99999999999h"',
        TIMEOUT_HINT,
      ],
    ];
    for (const [args, message, hint] of cases) {
      assertEquals(await w.lmi(...args), failed(2, message, hint), args.join(" "));
    }
    assertEquals(w.tokenRequests, 0);
    const ok = await w.lmi("auth", "token", "--min-ttl", "24h");
    assertEquals(ok.code, 0, ok.stderr);
  });
});

Deno.test("files a config names are read only when regular and small (defect 14)", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-faults-" });
  try {
    await t.step("ca_file: a folder is not a regular file", () => {
      const err = assertThrowsConfig(() => caFileCertificates(dir));
      assertEquals(err.message, `cannot read ca_file ${JSON.stringify(dir)}: not a regular file`);
    });
    await t.step("ca_file: over the limit, exit 3 naming it; at the limit, read", async () => {
      const big = join(dir, "big.pem");
      await Deno.writeTextFile(big, CERT + "x".repeat(MAX_FILE_BYTES + 1 - CERT.length));
      const err = assertThrowsConfig(() => caFileCertificates(big));
      assertEquals(err.message, `cannot read ca_file ${JSON.stringify(big)}: larger than 1 MiB`);
      await Deno.writeTextFile(big, CERT + "x".repeat(MAX_FILE_BYTES - CERT.length));
      assertEquals(caFileCertificates(big), [CERT.trim()]);
    });
    const PROC = "the read is bounded, not sized by stat (/proc files say 0 bytes)";
    await t.step({
      name: PROC,
      ignore: ignoreUnless(PROC, { os: LINUX, why: "reads /proc/self/status" }),
      fn: () => {
        const file = readSmallFile("/proc/self/status", 64);
        assertEquals(file, { refused: "larger than 64 bytes" });
        assertMatch((readSmallFile("/proc/self/status") as { text: string }).text, /^Name:/);
      },
    });
    await t.step("the config file itself: over the limit is exit 3", async () => {
      const path = join(dir, "huge.toml");
      await Deno.writeTextFile(path, `# ${"x".repeat(MAX_FILE_BYTES)}\n`);
      const err = await assertRejects(() => loadConfig(fakeDeps({ cwd: dir }), path), ConfigError);
      assertEquals(err.message, `cannot read config file ${path}: larger than 1 MiB`);
    });
    await t.step(
      "a .env over the limit is exit 3; a .env folder (a virtualenv) adds nothing",
      async () => {
        const project = join(dir, "project");
        await Deno.mkdir(join(project, ".env"), { recursive: true });
        const toml = '[envs.dev.auth]\ntype = "client_credentials"\ntoken_url = "https://idp/t"\n';
        await Deno.writeTextFile(join(project, "lmi.toml"), toml);
        const deps = fakeDeps({ cwd: project, env: { LMI_TRUSTED_PATHS: project } });
        const config = await loadConfig(deps, undefined);
        assertEquals(resolveEnv(deps, config, "dev").auth.clientSecret?.value, undefined);
        await Deno.writeTextFile(join(project, ".env.dev"), "A=1\n".repeat(MAX_FILE_BYTES / 4 + 1));
        const err = assertThrowsConfig(() => resolveEnv(deps, config, "dev"));
        assertEquals(err.message, `cannot read ${join(project, ".env.dev")}: larger than 1 MiB`);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function assertThrowsConfig(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      assertEquals(err.exitCode, 3);
      return err;
    }
    throw err;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("the real program: files that never end are refused at once (defect 14)", async (t) => {
  await using box = await sandbox();
  const env = (caFile: string) =>
    `[envs.dev]\nbase_url = "${IDP.apiUrl}"\nca_file = ${JSON.stringify(caFile)}\n`;
  const run = () => box.run(["request", "-e", "dev", "/"], { limitMs: KILL_AFTER_MS });
  const ZERO = 'ca_file = "/dev/zero": exit 3, not a regular file';
  await t.step({
    name: ZERO,
    ignore: ignoreUnless(ZERO, { os: POSIX, why: "no /dev/zero on Windows" }),
    fn: async () => {
      await box.writeConfig(env("/dev/zero"));
      const r = await run();
      assertEquals(r.code, 3, r.stderr);
      assertMatch(r.stderr, /^lmi: error: cannot read ca_file "\/dev\/zero": not a regular file\n/);
    },
  });
  const FIFO = "ca_file naming a FIFO nobody writes: exit 3, no wait";
  await t.step({
    name: FIFO,
    ignore: ignoreUnless(FIFO, { os: POSIX, why: "no FIFOs on Windows", commands: ["mkfifo"] }),
    fn: async () => {
      const fifo = join(box.home, "ca.pem");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert(made.success, "mkfifo");
      await box.writeConfig(env("ca.pem"));
      const r = await run();
      assertEquals(r.code, 3, r.stderr);
      assertMatch(r.stderr, /ca\.pem": not a regular file\n/);
    },
  });
  await t.step("a ca_file of a thousand PEM headers with no end is read in one pass", async () => {
    await Deno.writeTextFile(
      join(box.home, "begins.pem"),
      "-----BEGIN CERTIFICATE-----\n".repeat(Math.floor(MAX_FILE_BYTES / 28)),
    );
    await box.writeConfig(env("begins.pem"));
    const r = await run();
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /begins\.pem" holds no PEM certificate\n/);
  });
});

Deno.test("the line of a key in a config error (defect 14: linear in the file's size)", async (t) => {
  await t.step("lines inside multi-line strings are not keys", () => {
    const text = '[envs.a.auth]\nclient_id = """\n[envs.b]\ntimeout = 3\n"""\n' +
      "audience = '''\n[envs.b]\n'''\n[envs.b]\nretries = 1\ntimeout = \"soon\"\n";
    assertEquals(findKeyLine(text, ["envs", "b", "timeout"]), 11);
    assertEquals(findKeyLine(text, ["envs", "b"]), 9);
  });
  await t.step("quoted and dotted keys, [[arrays]], CRLF, comments, escaped quotes", () => {
    const text = '[envs.dev]\r\n"quoted key" = 1 # c\r\nauth.type = "x"\r\n' +
      '[[list]] # c\r\nk = "a\\"b"\r\nheaders = { "X Y" = "1" }\r\n';
    assertEquals(findKeyLine(text, ["envs", "dev", "quoted key"]), 2);
    assertEquals(findKeyLine(text, ["envs", "dev", "auth", "type"]), 3);
    assertEquals(findKeyLine(text, ["list", "k"]), 5);
    assertEquals(findKeyLine(text, ["list", "headers", "X Y"]), 6);
    assertEquals(findKeyLine(text, ["nowhere"]), undefined);
  });
  await t.step("an array value spanning lines does not open a table", () => {
    const text = '[envs.dev.auth]\nscopes = [\n  ["a"]\n]\ntype = "x"\n';
    assertEquals(findKeyLine(text, ["envs", "dev", "auth", "type"]), 5);
  });
  await t.step("a 160 KB multi-line string before the error: exit 3 at once", async () => {
    // Each of these took minutes with the old regex-per-line lookup (spaces: 103 s).
    await using box = await sandbox();
    for (
      const [name, body] of [
        ["spaces", `a${" ".repeat(160_000)}b`],
        ["bracket", `[${" ".repeat(160_000)}x`],
        ["quotes", `'"${" ".repeat(160_000)}x`],
      ]
    ) {
      await box.writeConfig(
        `[envs.dev.auth]\nclient_id = """\n${body}\n"""\n[envs.other]\ntimeout = "soon"\n`,
      );
      const r = await box.run(["env", "show", "other"], { limitMs: KILL_AFTER_MS });
      assertEquals(r.code, 3, `${name}: ${r.stderr}`);
      assertMatch(r.stderr, /lmi\.toml:6: envs\.other\.timeout: invalid duration "soon"\n/, name);
    }
  });
  await t.step("a PEM with many certificates is split in one pass", () => {
    assertEquals(pemCertificates(CERT.repeat(3) + "-----BEGIN CERTIFICATE-----\n"), [
      CERT.trim(),
      CERT.trim(),
      CERT.trim(),
    ]);
  });
});

Deno.test("names that Object.prototype holds are neither keys nor envs", async (t) => {
  await t.step("constructor, toString, hasOwnProperty as keys: unknown key, exit 3", async () => {
    for (const key of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      const err = await configError(`[envs.dev]\n${key} = 1\n`);
      assertEquals(err.message, `${FILE}:2: envs.dev.${key}: unknown key`);
      const auth = await configError(`[envs.dev.auth]\n${key} = "x"\n`);
      assertEquals(auth.message, `${FILE}:2: envs.dev.auth.${key}: unknown key`);
    }
  });
  await t.step("lmi env show constructor: unknown env, exit 3", async () => {
    await using w = await world(serviceEnv("dev"));
    const r = await w.lmi("env", "show", "constructor");
    assertEquals(r.code, 3, r.stdout);
    assertMatch(r.stderr, /^lmi: error: unknown env "constructor"\n/);
  });
});
