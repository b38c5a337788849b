/**
 * The credential helpers' pure parts (git's attributes, Docker's server URL, base_url coverage,
 * the docker-credential-lmi program name) and `main(args, deps)` in process with stdin and a
 * fake IdP: which env answers, what is printed, what is erased.
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { fakeDeps, homeVars } from "../helpers/fakes.ts";
import { IDP } from "../helpers/in_process.ts";
import { main } from "../../src/cli/main.ts";
import { baseUrlCoverage, pathAsWritten, unmatchablePath } from "../../src/http/url.ts";
import { gitTarget, parseGitAttributes } from "../../src/cli/git_credential.ts";
import { dockerTarget } from "../../src/cli/docker_credential.ts";
import { invokedAsDockerHelper, programArgs } from "../../src/cli/program_name.ts";

Deno.test("base_url coverage: scheme, host with port, whole path segments", async (t) => {
  const cases: Array<[string, string, number | undefined]> = [
    ["https://git.example.com", "https://git.example.com/org/repo.git", 0],
    ["https://git.example.com/", "https://git.example.com/", 0],
    ["https://git.example.com/org", "https://git.example.com/org/repo.git", 1],
    ["https://git.example.com/org/", "https://git.example.com/org", 1],
    ["https://git.example.com/org", "https://git.example.com/organisation", undefined],
    ["https://git.example.com/org/team", "https://git.example.com/org", undefined],
    ["https://git.example.com", "http://git.example.com/x", undefined],
    ["https://git.example.com", "https://git.example.com:8443/x", undefined],
    ["https://git.example.com:443", "https://git.example.com/x", 0],
    ["https://GIT.example.com", "https://git.example.com/x", 0],
    ["https://git.example.com", "https://evil.example.com/git.example.com", undefined],
    ["not a url", "https://git.example.com/", undefined],
  ];
  for (const [base, target, expected] of cases) {
    await t.step(`${base} vs ${target}`, () => {
      assertEquals(baseUrlCoverage(base, new URL(target)), expected);
    });
  }
});

Deno.test("helper paths: dot, empty and encoded-separator segments are unmatchable", async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ["/", undefined],
    ["/org/x.git", undefined],
    ["/org/x.git/", undefined],
    ["/org/.../x.git", undefined],
    ["/org/.git/x", undefined],
    ["/org/a;b/%41", undefined],
    ["/v2/", undefined],
    ["/org/../x", 'a dot segment ".."'],
    ["/org/./x", 'a dot segment "."'],
    ["/org/..", 'a dot segment ".."'],
    ["/org/%2e%2e/x", 'a dot segment "%2e%2e"'],
    ["/org/%2E%2e/x", 'a dot segment "%2E%2e"'],
    ["/org/.%2E/x", 'a dot segment ".%2E"'],
    ["/org/%2e/x", 'a dot segment "%2e"'],
    ["/org/%252e%252e/x", 'a dot segment "%252e%252e"'],
    ["/org/..;jsessionid=1/x", 'a dot segment "..;jsessionid=1"'],
    ["/org//x", "an empty segment"],
    ["//org/x", "an empty segment"],
    ["/org/;x/y", 'an empty segment ";x"'],
    ["/org/..%2Fother", 'an encoded "/" in "..%2Fother"'],
    ["/org/a%252Fb", 'an encoded "/" in "a%252Fb"'],
    ["/org\\..\\x", 'a backslash in "org\\\\..\\\\x"'],
    ["/org/%5C..", 'a backslash in "%5C.."'],
    ["/org/.\t./x", 'a control character in ".\\t."'],
    ["/org/%00", 'a control character in "%00"'],
  ];
  for (const [path, why] of cases) {
    await t.step(JSON.stringify(path), () => assertEquals(unmatchablePath(path), why));
  }
  await t.step("the path as written, before a parser resolves it", () => {
    assertEquals(pathAsWritten("https://h/a/../b?x=/../#y"), "/a/../b");
    assertEquals(pathAsWritten("https://h:8443"), "/");
    assertEquals(pathAsWritten("https://h?q"), "/");
    assertEquals(pathAsWritten(" https://h/%2e%2e/x\n"), "/%2e%2e/x");
    assertEquals(pathAsWritten("https:\\\\h\\a\\..\\b"), "\\a\\..\\b");
  });
});

Deno.test("git's attributes: up to the first blank line, first value wins", () => {
  const attrs = parseGitAttributes(
    "protocol=https\r\nhost=h\nnoequals\n=x\nhost=other\nwwwauth[]=Basic realm=x\n\npath=late\n",
  );
  assertEquals([...attrs], [["protocol", "https"], ["host", "h"], [
    "wwwauth[]",
    "Basic realm=x",
  ]]);
});

Deno.test("git's target: http(s) with a host; a path only when given", () => {
  const t = (input: string) => {
    const got = gitTarget(parseGitAttributes(input));
    return got && { url: got.url.href, path: got.path, hasPath: got.hasPath };
  };
  assertEquals(t("protocol=https\nhost=h.example\n"), {
    url: "https://h.example/",
    path: "/",
    hasPath: false,
  });
  assertEquals(t("protocol=https\nhost=h.example:8443\npath=org/r.git\n"), {
    url: "https://h.example:8443/org/r.git",
    path: "/org/r.git",
    hasPath: true,
  });
  assertEquals(t("url=https://h.example/org/r.git?x=1\n"), {
    url: "https://h.example/org/r.git",
    path: "/org/r.git",
    hasPath: true,
  });
  assertEquals(t("protocol=https\nhost=h.example\npath=a/%2e%2e/b\n")?.path, "/a/%2e%2e/b");
  assertEquals(t("url=https://h.example/a/../b\n")?.path, "/a/../b");
  for (
    const bad of [
      "",
      "protocol=ssh\nhost=h\n",
      "protocol=https\n",
      "protocol=https\nhost=h/x\n",
      "protocol=https\nhost=u@h\n",
      "protocol=https\nhost=h h\n",
      "url=file:///etc/passwd\n",
    ]
  ) {
    assertEquals(t(bad), undefined, bad);
  }
});

Deno.test("Docker's server URL: https when no scheme, the path kept", () => {
  const t = (s: string) => {
    const got = dockerTarget(s);
    return got && [got.url.href, got.path, got.hasPath];
  };
  assertEquals(t("registry.example.com:5000"), ["https://registry.example.com:5000/", "/", false]);
  assertEquals(t("https://index.docker.io/v1/"), ["https://index.docker.io/v1/", "/v1/", true]);
  assertEquals(t(" http://r.example/\n"), ["http://r.example/", "/", false]);
  assertEquals(t("r.example/a/%2e%2e/b"), ["https://r.example/b", "/a/%2e%2e/b", true]);
  for (const bad of ["", "a b", "ftp://r.example", "https://u:p@r.example", "https://"]) {
    assertEquals(t(bad), undefined, bad);
  }
});

Deno.test("invoked as docker-credential-lmi: by base name, with or without an extension", () => {
  assert(invokedAsDockerHelper(["file:///opt/bin/docker-credential-lmi"]));
  assert(invokedAsDockerHelper(["file:///x/main.ts", "/usr/local/bin/docker-credential-lmi"]));
  assert(invokedAsDockerHelper([undefined, "C:\\bin\\docker-credential-lmi.exe"]));
  assert(invokedAsDockerHelper(["file:///x/docker-credential-lmi.ts"]));
  assert(!invokedAsDockerHelper(["file:///x/main.ts", "/usr/bin/deno", "deno"]));
  assert(!invokedAsDockerHelper(["/usr/bin/docker-credential-lmi-old", "/x/lmi"]));
  assertEquals(programArgs(["get"], ["/bin/docker-credential-lmi"]), ["docker-credential", "get"]);
  assertEquals(programArgs(["auth", "token"], ["/bin/lmi"]), ["auth", "token"]);
});

const CONFIG = `
[envs.root]
base_url = "https://git.example.com"
[envs.root.auth]
type = "client_credentials"
token_url = "${IDP.tokenUrl}"
client_id = "${IDP.clientId}"
client_secret_env = "SVC_SECRET"
git_username = "root-bot"

[envs.org]
base_url = "https://git.example.com/org"
[envs.org.auth]
type = "client_credentials"
token_url = "${IDP.tokenUrl}"
client_id = "${IDP.clientId}"
client_secret_env = "SVC_SECRET"

[envs.sso]
base_url = "https://sso-git.example.com"
[envs.sso.auth]
type = "sso"

[envs.scoped]
base_url = "https://scoped.example.com/git/org/"
[envs.scoped.auth]
type = "client_credentials"
token_url = "${IDP.tokenUrl}"
client_id = "${IDP.clientId}"
client_secret_env = "SVC_SECRET"
git_username = "scoped-bot"
`;

Deno.test("credential helpers in process", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-helpers-" });
  await Deno.writeTextFile(join(dir, "lmi.toml"), CONFIG);
  let tokens = 0;
  const fetch: typeof globalThis.fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url !== IDP.tokenUrl) return Promise.resolve(new Response(null, { status: 404 }));
    tokens++;
    return Promise.resolve(Response.json({
      access_token: `at-${tokens}-abcdefgh`,
      token_type: "Bearer",
      expires_in: 3600,
    }));
  };
  const env = {
    ...homeVars(join(dir, "home")),
    LMI_CACHE_DIR: join(dir, "cache"),
    LMI_TRUSTED_PATHS: dir,
    SVC_SECRET: IDP.secret,
  };
  const lmi = async (stdin: string, ...args: string[]) => {
    const deps = fakeDeps({ env, cwd: dir, fetch });
    deps.readStdin = () => Promise.resolve(new TextEncoder().encode(stdin));
    const code = await main(args, deps);
    return { code, stdout: deps.stdout.text(), stderr: deps.stderr.text() };
  };
  const now = Math.floor(Date.parse("2026-01-01T00:00:00Z") / 1000);

  await t.step("git get: username, password and expiry for the longest prefix", async () => {
    assertEquals(
      await lmi("protocol=https\nhost=git.example.com\npath=org/r.git\n", "git-credential", "get"),
      {
        code: 0,
        stdout: `username=oauth2\npassword=at-1-abcdefgh\npassword_expiry_utc=${now + 3600}\n`,
        stderr: "",
      },
    );
    const root = await lmi("protocol=https\nhost=git.example.com\n", "git-credential", "get");
    assertEquals(root.stdout.split("\n")[0], "username=root-bot");
  });

  await t.step("git get from the cache: no new token request", async () => {
    const before = tokens;
    const r = await lmi(
      "protocol=https\nhost=git.example.com\npath=org\n",
      "git-credential",
      "get",
    );
    assertEquals(r.stdout.split("\n")[1], "password=at-1-abcdefgh");
    assertEquals(tokens, before);
  });

  await t.step("git erase, then get: a new token", async () => {
    const erase = "protocol=https\nhost=git.example.com\npath=org/r.git\n";
    assertEquals(await lmi(erase, "git-credential", "erase"), { code: 0, stdout: "", stderr: "" });
    const r = await lmi(erase, "git-credential", "get");
    assertEquals(r.stdout.split("\n")[1], `password=at-${tokens}-abcdefgh`);
    assert(tokens >= 3);
  });

  await t.step("git get for an sso env: fails without prompting (exit 4)", async () => {
    const r = await lmi("protocol=https\nhost=sso-git.example.com\n", "git-credential", "get");
    assertEquals(r.stdout, "");
    assert(r.code === 3 || r.code === 4, `${r.code} ${r.stderr}`);
  });

  await t.step("docker get and list", async () => {
    const r = await lmi("https://git.example.com/org/x\n", "docker-credential", "get");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).Username, "oauth2");
    const list = await lmi("", "docker-credential", "list");
    assertEquals(JSON.parse(list.stdout), {
      "https://git.example.com": "root-bot",
      "https://git.example.com/org": "oauth2",
      "https://sso-git.example.com": "oauth2",
      "https://scoped.example.com/git/org/": "scoped-bot",
    });
  });

  await t.step("a path with dot, encoded-dot or empty segments matches no env", async () => {
    const git = (path: string) => `protocol=https\nhost=scoped.example.com\npath=${path}\n`;
    for (const path of ["git/org/x.git", "git/org/x.git/", "git/org/.../x.git", "git/org/a;b"]) {
      const r = await lmi(git(path), "git-credential", "get");
      assertEquals([r.code, r.stdout.split("\n")[0]], [0, "username=scoped-bot"], path);
    }
    const refused: Array<[string, string]> = [
      [git("git/other/../org/x.git"), '".."'],
      [git("git/other/%2e%2e/org/x.git"), '"%2e%2e"'],
      [git("git/other/%2E%2e/org/x.git"), '"%2E%2e"'],
      [git("git/other/.%2E/org/x.git"), '".%2E"'],
      [git("git/other/%252e%252e/org/x.git"), '"%252e%252e"'],
      [git("git/./org/x.git"), '"."'],
      [git("git/other/..;/org/x.git"), '"..;"'],
      [git("git//org/x.git"), "an empty segment"],
      [git("/git/org/x.git"), "an empty segment"],
      [git("git/org/..%2F..%2Fother/x.git"), 'an encoded "/"'],
      [git("git\\other\\..\\org/x.git"), "a backslash"],
      [git("git/org/.\t./x.git"), "a control character"],
      ["url=https://scoped.example.com/git/other/%2e%2e/org/x.git\n", '"%2e%2e"'],
    ];
    for (const [input, why] of refused) {
      assertEquals(await lmi(input, "git-credential", "get"), { code: 0, stdout: "", stderr: "" });
      assertEquals(await lmi(input, "git-credential", "get", "--env", "scoped"), {
        code: 0,
        stdout: "",
        stderr: "",
      });
      const verbose = await lmi(input, "-v", "git-credential", "get");
      assertEquals([verbose.code, verbose.stdout], [0, ""]);
      assertStringIncludes(verbose.stderr, "matches no env", input);
      assertStringIncludes(verbose.stderr, why, input);
    }
    for (
      const server of [
        "https://scoped.example.com/git/other/%2e%2e/org/x",
        "https://scoped.example.com/git/other/../org/x",
        "scoped.example.com/git//org/x",
      ]
    ) {
      assertEquals(await lmi(server, "docker-credential", "get"), {
        code: 1,
        stdout: "credentials not found in native keychain\n",
        stderr: "",
      });
    }
    const docker = await lmi("https://scoped.example.com/git/org/x", "docker-credential", "get");
    assertEquals([docker.code, JSON.parse(docker.stdout).Username], [0, "scoped-bot"]);
  });

  await t.step("helper input over 64 KiB: exit 2 with a one-line error", async () => {
    const line = "protocol=https\nhost=scoped.example.com\npath=git/org/x.git\n";
    const fits = line + "x".repeat(64 * 1024 - line.length);
    const r = await lmi(fits, "git-credential", "get");
    assertEquals([r.code, r.stdout.split("\n")[0]], [0, "username=scoped-bot"], r.stderr);
    for (const args of [["git-credential", "get"], ["docker-credential", "get"]]) {
      const over = await lmi(fits + "x", ...args);
      assertEquals([over.code, over.stdout], [2, ""], over.stderr);
      assertEquals(
        over.stderr,
        "lmi: error: stdin holds more than 64 KiB, too much for a credential request " +
          "(the rest was not read)\n" +
          "hint: git and Docker send a few hundred bytes: check what feeds the helper's stdin\n",
      );
    }
  });

  await Deno.remove(dir, { recursive: true });
});
