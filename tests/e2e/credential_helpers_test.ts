/**
 * The git and docker credential helpers end to end: real `git credential fill|reject|approve`
 * running the real lmi program as its helper, and Docker's protocol (Docker itself is not
 * installed) through `lmi docker-credential` and a `docker-credential-lmi` executable, all
 * against the dev IdP.
 */
import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertNotIncludes,
} from "../helpers/assert.ts";
import { gitHelper, runWithInput, type Sandbox, sandbox } from "../helpers/cli.ts";
import { tokenFile } from "../helpers/cache.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { lmiCommand, MAIN } from "../../scripts/run_lmi.ts";
import { ignoreUnless, LINUX, POSIX } from "../helpers/components.ts";
import { exists } from "../helpers/files.ts";

/** Three envs on two hosts; each answers with its own username, so tests see which one did. */
function helperConfig(idp: DevIdp): string {
  return serviceEnv(idp, "root", {
    env: `base_url = "https://git.example.com"`,
    auth: `git_username = "root-bot"`,
  }) +
    serviceEnv(idp, "org", { env: `base_url = "https://git.example.com/org"` }) +
    serviceEnv(idp, "registry", {
      env: `base_url = "https://registry.example.com:5000"`,
      auth: `git_username = "registry-bot"`,
    }) +
    serviceEnv(idp, "nourl");
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `git -c credential.helper=… credential ACTION` in the sandbox home, with its own git config. */
async function git(
  box: Sandbox,
  action: "fill" | "reject" | "approve",
  input: string,
  config: string[] = [],
  helper = gitHelper(),
): Promise<GitResult> {
  const args = [
    "-c",
    "credential.helper=",
    "-c",
    `credential.helper=${helper}`,
    ...config.flatMap((c) => ["-c", c]),
    "credential",
    action,
  ];
  return await runWithInput("git", args, {
    env: { ...box.env, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "" },
    cwd: box.home,
    input,
  });
}

function attrs(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split("\n").filter((l) => l.includes("=")).map((l) => [
      l.slice(0, l.indexOf("=")),
      l.slice(l.indexOf("=") + 1),
    ]),
  );
}

const GIT = "git credential helper: real git against the dev IdP";

Deno.test({
  name: GIT,
  ignore: ignoreUnless(GIT, {
    os: POSIX,
    why: "git runs the `!` helper line through sh; it is quoted here for a POSIX shell",
    commands: ["git"],
  }),
}, async (t) => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(idp, helperConfig(idp));

  await t.step("git credential fill: the matching env's username and token", async () => {
    const r = await git(
      box,
      "fill",
      "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n",
      ["credential.useHttpPath=true"],
    );
    assertEquals(r.code, 0, r.stderr);
    const got = attrs(r.stdout);
    assertEquals(got.username, "oauth2");
    assertEquals(got.host, "git.example.com");
    const cached = await box.run(["auth", "token", "--env", "org"]);
    assertEquals(got.password, cached.stdout.trim(), "the password is org's cached token");
    assertNotIncludes(r.stderr, got.password!);
  });

  await t.step("longest path prefix wins; a prefix covers whole segments only", async () => {
    for (
      const [path, username] of [
        ["org/repo.git", "oauth2"],
        ["org", "oauth2"],
        ["organisation/repo.git", "root-bot"],
        ["other/repo.git", "root-bot"],
      ]
    ) {
      const r = await box.run(["git-credential", "get"], {
        stdin: `protocol=https\nhost=git.example.com\npath=${path}\n`,
      });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(attrs(r.stdout).username, username, path);
    }
  });

  await t.step("a remote path with dot or empty segments matches no env", async () => {
    for (
      const url of [
        "https://git.example.com/other/%2e%2e/org/x.git",
        "https://git.example.com/other/%2E%2e/org/x.git",
        "https://git.example.com/other/../org/x.git",
        "https://git.example.com/./org/x.git",
        "https://git.example.com/org//x.git",
        "https://git.example.com/org/..%2F..%2Fother/x.git",
      ]
    ) {
      const r = await git(box, "fill", `url=${url}\n\n`, ["credential.useHttpPath=true"]);
      assertNotEquals(r.code, 0, `${url}: git finds no credential and may not prompt`);
      assertNotIncludes(r.stdout, "password=", url);
      assertNotIncludes(r.stdout, "username=", url);
    }
    const plain = await git(box, "fill", "url=https://git.example.com/org/x.git\n\n", [
      "credential.useHttpPath=true",
    ]);
    assertEquals([plain.code, attrs(plain.stdout).username], [0, "oauth2"], plain.stderr);
    const stdin = "protocol=https\nhost=git.example.com\npath=other/../org/x.git\n";
    assertEquals(await box.run(["git-credential", "get"], { stdin }), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    const verbose = await box.run(["-v", "git-credential", "get"], { stdin });
    assertEquals([verbose.code, verbose.stdout], [0, ""]);
    assertMatch(
      verbose.stderr,
      /^lmi: the path "\/other\/\.\.\/org\/x\.git" matches no env: it has a dot segment "\.\."$/m,
    );
  });

  await t.step("without a path (no useHttpPath), the env at the host's root answers", async () => {
    const r = await git(box, "fill", "protocol=https\nhost=git.example.com\n\n");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(attrs(r.stdout).username, "root-bot");
  });

  await t.step("the port is part of the host; password_expiry_utc is given", async () => {
    const r = await box.run(["git-credential", "get"], {
      stdin: "protocol=https\nhost=registry.example.com:5000\n",
    });
    assertEquals(r.code, 0, r.stderr);
    const got = attrs(r.stdout);
    assertEquals(got.username, "registry-bot");
    const expiry = Number(got.password_expiry_utc);
    assert(expiry > Date.now() / 1000, r.stdout.replace(got.password!, "…"));
    const other = await box.run(["git-credential", "get"], {
      stdin: "protocol=https\nhost=registry.example.com\n",
    });
    assertEquals(other, { code: 0, stdout: "", stderr: "" });
  });

  await t.step("--env: that env answers whatever the host", async () => {
    const r = await git(
      box,
      "fill",
      "protocol=https\nhost=elsewhere.example.org\n\n",
      [],
      gitHelper("--env", "registry"),
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(attrs(r.stdout).username, "registry-bot");
  });

  await t.step("no env matches: nothing printed, exit 0, so git moves on", async () => {
    for (
      const input of [
        "protocol=https\nhost=unknown.example.com\n",
        "protocol=http\nhost=git.example.com\n",
        "protocol=ssh\nhost=git.example.com\n",
      ]
    ) {
      assertEquals(await box.run(["git-credential", "get"], { stdin: input }), {
        code: 0,
        stdout: "",
        stderr: "",
      });
    }
    const r = await git(box, "fill", "protocol=https\nhost=unknown.example.com\n\n");
    assertNotEquals(r.code, 0, "git finds no credential and may not prompt");
    assertNotIncludes(r.stdout, "password=");
  });

  await t.step("malformed input is ignored: nothing printed, exit 0", async () => {
    for (
      const input of [
        "",
        "\n",
        "garbage without equals\n",
        "=https\n=git.example.com\n",
        "protocol=https\nhost=\n",
        "protocol=https\nhost=git.example.com/evil\n",
        "protocol=https\nhost=a b\n",
        "\nprotocol=https\nhost=git.example.com\n",
        "protocol=https\0\nhost=git.example.com\0\n",
        "\u00ff\u00fe binary \x01\x02",
        "x".repeat(64 * 1024),
      ]
    ) {
      assertEquals(
        await box.run(["git-credential", "get"], { stdin: input }),
        { code: 0, stdout: "", stderr: "" },
        JSON.stringify(input.slice(0, 40)),
      );
    }
  });

  await t.step("an unknown operation is ignored, as git's protocol asks", async () => {
    assertEquals(
      await box.run(["git-credential", "frobnicate"], {
        stdin: "protocol=https\nhost=git.example.com\n",
      }),
      { code: 0, stdout: "", stderr: "" },
    );
  });

  await t.step("git credential approve (store) does nothing", async () => {
    const r = await git(
      box,
      "approve",
      "protocol=https\nhost=git.example.com\nusername=x\npassword=y\n\n",
    );
    assertEquals(r, { code: 0, stdout: "", stderr: "" });
  });

  await t.step(
    "git credential reject (erase) drops the env's token; get acquires anew",
    async () => {
      const before = await box.run(["auth", "token", "--env", "root"]);
      assert(await exists(tokenFile(box, "root")));
      const r = await git(
        box,
        "reject",
        `protocol=https\nhost=git.example.com\nusername=root-bot\npassword=${before.stdout.trim()}\n\n`,
      );
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      assert(!(await exists(tokenFile(box, "root"))), "root's cache file is gone");
      assert(await exists(tokenFile(box, "org")), "other envs keep theirs");
      idp.stats.reset();
      const again = await git(box, "fill", "protocol=https\nhost=git.example.com\n\n");
      assertEquals(again.code, 0, again.stderr);
      assertEquals(idp.stats.tokenRequests, 1);
      assertNotEquals(attrs(again.stdout).password, before.stdout.trim());
    },
  );

  await t.step("-vv: the token never reaches stderr", async () => {
    await box.run(["logout", "--env", "org"]);
    const r = await box.run(["-vv", "git-credential", "get"], {
      stdin: "protocol=https\nhost=git.example.com\npath=org/x.git\n",
    });
    assertEquals(r.code, 0, r.stderr);
    const token = attrs(r.stdout).password!;
    assert(token.length > 20);
    assertMatch(r.stderr, /lmi: debug:/);
    assertNotIncludes(r.stderr, token);
    assertNotIncludes(r.stderr, token.split(".")[2]!);
    assertNotIncludes(r.stderr, idp.clients.basic.secret);
  });
});

Deno.test("docker credential helper: the protocol round trip against the dev IdP", async (t) => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(idp, helperConfig(idp));

  await t.step("get: ServerURL, Username and the env's token as JSON", async () => {
    for (
      const server of [
        "registry.example.com:5000",
        "https://registry.example.com:5000",
        "https://registry.example.com:5000/v2/\n",
      ]
    ) {
      const r = await box.run(["docker-credential", "get"], { stdin: server });
      assertEquals(r.code, 0, r.stderr);
      const answer = JSON.parse(r.stdout);
      assertEquals(Object.keys(answer), ["ServerURL", "Username", "Secret"]);
      assertEquals(answer.ServerURL, server.trim());
      assertEquals(answer.Username, "registry-bot");
      const cached = await box.run(["auth", "token", "--env", "registry"]);
      assertEquals(answer.Secret, cached.stdout.trim());
      assertEquals(r.stderr, "");
    }
  });

  await t.step("get: no env matches: Docker's not-found message, exit 1", async () => {
    for (const server of ["unknown.example.com", "", "not a url", "ftp://registry.example.com"]) {
      assertEquals(await box.run(["docker-credential", "get"], { stdin: server }), {
        code: 1,
        stdout: "credentials not found in native keychain\n",
        stderr: "",
      });
    }
  });

  await t.step("get with --env: that env answers", async () => {
    const r = await box.run(["docker-credential", "get", "--env", "org"], {
      stdin: "ghcr.io",
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).Username, "oauth2");
  });

  await t.step("list: every base_url with its username", async () => {
    const r = await box.run(["docker-credential", "list"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout), {
      "https://git.example.com": "root-bot",
      "https://git.example.com/org": "oauth2",
      "https://registry.example.com:5000": "registry-bot",
    });
  });

  await t.step("store: reads Docker's JSON and keeps nothing", async () => {
    const stdin = JSON.stringify({
      ServerURL: "registry.example.com:5000",
      Username: "u",
      Secret: "s",
    });
    assertEquals(await box.run(["docker-credential", "store"], { stdin }), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assertEquals(await box.run(["docker-credential", "store"], { stdin: "{not json" }), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  await t.step("erase: drops the env's cached token", async () => {
    await box.run(["auth", "token", "--env", "registry"]);
    assert(await exists(tokenFile(box, "registry")));
    assertEquals(
      await box.run(["docker-credential", "erase"], { stdin: "registry.example.com:5000\n" }),
      { code: 0, stdout: "", stderr: "" },
    );
    assert(!(await exists(tokenFile(box, "registry"))));
  });

  await t.step("an unknown operation: exit 2 with the operations", async () => {
    const r = await box.run(["docker-credential", "frob"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /unknown operation "frob"[\s\S]*get, list, store, erase/);
  });

  await t.step("-vv: the token never reaches stderr", async () => {
    const r = await box.run(["-vv", "docker-credential", "get"], {
      stdin: "registry.example.com:5000",
    });
    assertEquals(r.code, 0, r.stderr);
    const secret = JSON.parse(r.stdout).Secret as string;
    assertMatch(r.stderr, /lmi: debug:/);
    assertNotIncludes(r.stderr, secret);
    assertNotIncludes(r.stderr, idp.clients.basic.secret);
  });

  const AS_HELPER = "invoked as docker-credential-lmi: Docker's protocol without the command word";
  await t.step({
    name: AS_HELPER,
    ignore: ignoreUnless(AS_HELPER, {
      os: POSIX,
      why: "an executable module with a #!/usr/bin/env -S line (no shebangs on Windows)",
    }),
    fn: async () => {
      // How a `deno run` user installs it: an executable module named docker-credential-lmi that
      // imports lmi's main.ts (Deno.mainModule keeps that name). A compiled binary copied or
      // symlinked under that name is recognised by its executable path or argv[0].
      const bin = join(box.dir, "bin");
      await Deno.mkdir(bin);
      const exe = join(bin, "docker-credential-lmi");
      const runArgs = lmiCommand([]).args.filter((a) => a !== MAIN);
      assertEquals(runArgs.length, lmiCommand([]).args.length - 1);
      await Deno.writeTextFile(
        exe,
        `#!/usr/bin/env -S ${[Deno.execPath(), ...runArgs].join(" ")}\n` +
          `import ${JSON.stringify(new URL(`file://${MAIN}`).href)};\n`,
      );
      await Deno.chmod(exe, 0o755);
      const spawn = (args: string[], stdin: string) =>
        runWithInput(exe, args, { env: box.env, cwd: box.home, input: stdin });
      const got = await spawn(["get"], "registry.example.com:5000\n");
      assertEquals(got.code, 0, got.stderr);
      assertEquals(JSON.parse(got.stdout).Username, "registry-bot");
      const missing = await spawn(["get"], "unknown.example.com\n");
      assertEquals(missing, {
        code: 1,
        stdout: "credentials not found in native keychain\n",
        stderr: "",
      });
      const list = await spawn(["list"], "");
      assertEquals(Object.keys(JSON.parse(list.stdout)).length, 3);
    },
  });
});

/** What a run of lmi with a generated stdin did, and its peak RSS (GNU time's %M, in KiB). */
interface PipedRun extends GitResult {
  peakKib: number;
  /** The exit status of the command that wrote stdin (non-zero: lmi left the rest unread). */
  writerCode: number;
  ms: number;
}

/** `sh -c '<writer> | /usr/bin/time lmi ARGS'` in the sandbox, lmi's peak RSS measured. */
async function pipedRun(box: Sandbox, writer: string, args: string[]): Promise<PipedRun> {
  const { cmd, args: full } = lmiCommand(args);
  const timeFile = join(box.dir, "time.txt");
  const writerFile = join(box.dir, "writer.txt");
  const script = `w="$1" t="$2"; shift 2; (${writer}; echo $? > "$w") | ` +
    `/usr/bin/time -f %M -o "$t" "$@"`;
  const started = Date.now();
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "sh", writerFile, timeFile, cmd, ...full],
    clearEnv: true,
    env: box.env,
    cwd: box.home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = Date.now() - started;
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    peakKib: Number((await Deno.readTextFile(timeFile)).trim().split("\n").at(-1)),
    writerCode: Number((await Deno.readTextFile(writerFile)).trim()),
    ms,
  };
}

const STDIN_BOUND = "credential helpers read at most 64 KiB of stdin: 150 MB piped in";

Deno.test({
  name: STDIN_BOUND,
  ignore: ignoreUnless(STDIN_BOUND, {
    os: LINUX,
    why: "measures the peak RSS with GNU time and feeds stdin from a POSIX shell pipeline",
    commands: ["/usr/bin/time", "sh", "head"],
  }),
}, async (t) => {
  await using box = await sandbox();
  const small = await pipedRun(box, "head -c 100 /dev/zero", ["git-credential", "get"]);
  assertEquals([small.code, small.stdout, small.stderr], [0, "", ""]);
  assertEquals(small.writerCode, 0);
  const error = "lmi: error: stdin holds more than 64 KiB, too much for a credential request " +
    "(the rest was not read)\n" +
    "hint: git and Docker send a few hundred bytes: check what feeds the helper's stdin\n";
  for (
    const args of [
      ["git-credential", "get"],
      ["git-credential", "store"],
      ["docker-credential", "get"],
    ]
  ) {
    await t.step(`${args.join(" ")}: exit 2 at once, memory flat`, async () => {
      const r = await pipedRun(box, "head -c 157286400 /dev/zero", args);
      assertEquals([r.code, r.stdout, r.stderr], [2, "", error]);
      assertNotEquals(r.writerCode, 0, "the writer was cut off: lmi left the rest unread");
      assert(
        r.peakKib < small.peakKib + 32 * 1024,
        `peak RSS ${r.peakKib} KiB with 150 MB piped in vs ${small.peakKib} KiB with 100 bytes`,
      );
      assert(r.ms < small.ms + 10_000, `took ${r.ms} ms (100 bytes: ${small.ms} ms)`);
    });
  }
});
