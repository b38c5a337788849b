/**
 * `lmi request`, `lmi exec` and plugins end to end: the real program against the dev IdP and API
 * (and small loopback servers of the test's own for faults the API does not script).
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { serve } from "../helpers/servers.ts";
import { ignoreUnless, POSIX, SH, SH_SCRIPTS } from "../helpers/components.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

function config(idp: DevIdp, baseUrl = idp.apiUrl, extra = ""): string {
  const env =
    `base_url = "${baseUrl}"\ntimeout = "2s"\nheaders = { "X-Tenant" = "acme" }\n${extra}`;
  return `default_env = "dev"\n` + serviceEnv(idp, "dev", { env, auth: 'scopes = ["api.read"]' });
}

function world(idp: DevIdp, toml = config(idp)): Promise<Sandbox> {
  return devSandbox(idp, toml);
}

Deno.test("lmi request against the protected API", async (t) => {
  await using idp = await startDevIdp();
  await using box = await world(idp);

  await t.step("GET a path under base_url: the body on stdout, exit 0", async () => {
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).client_id, idp.clients.basic.id);
  });
  await t.step(
    "POST with -d, -H, -i (status line and headers first), --json pretty-prints",
    async () => {
      const r = await box.run([
        "request",
        "-X",
        "POST",
        "echo",
        "-H",
        "X-Trace: 42",
        "-d",
        '{"a":1}',
        "-i",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
      const body = JSON.parse(r.stdout.split("\r\n\r\n")[1]!);
      assertEquals([body.method, body.body, body.headers["x-trace"], body.headers["x-tenant"]], [
        "POST",
        '{"a":1}',
        "42",
        "acme",
      ]);
      assertEquals(body.headers["content-type"], "application/json");
      assertMatch(body.headers["user-agent"], /^lmi\/\d+\.\d+\.\d+/);
      const pretty = await box.run(["request", "/whoami", "--json"]);
      assertMatch(pretty.stdout, /^\{\n {2}"sub"/);
    },
  );
  await t.step("-d @FILE and -d @- (stdin)", async () => {
    const file = join(box.dir, "body.txt");
    await Deno.writeTextFile(file, "from-file");
    const f = await box.run(["request", "-X", "PUT", "/echo", "-d", `@${file}`]);
    assertEquals(JSON.parse(f.stdout).body, "from-file");
    const s = await box.run(["request", "-X", "PATCH", "/echo", "-d", "@-"], {
      stdin: "from-stdin",
    });
    assertEquals(JSON.parse(s.stdout).body, "from-stdin");
  });
  await t.step("non-2xx: the body on stdout, the status on stderr, exit 1", async () => {
    const r = await box.run(["request", "/status/404"]);
    assertEquals(r.code, 1);
    assertEquals(JSON.parse(r.stdout).status, 404);
    assertMatch(
      r.stderr,
      /^lmi: error: HTTP 404 Not Found from GET http:\/\/127\.0\.0\.1:\d+\/status\/404/,
    );
  });
  await t.step("401 once: one new token, one retry, success", async () => {
    idp.stats.reset();
    idp.api.reset();
    idp.api.fail401(1);
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.stats.tokenRequests, 1);
    assertEquals(idp.api.requests.length, 2);
  });
  await t.step("401 twice: exit 1 after one retry only", async () => {
    idp.api.reset();
    idp.api.fail401(2);
    const r = await box.run(["request", "/whoami"]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /HTTP 401/);
    assertEquals(idp.api.requests.length, 2);
  });
  await t.step("the token endpoint failing during the 401 retry: exit 4", async () => {
    idp.api.reset();
    idp.api.fail401(1);
    idp.faults.token({ status: 500, body: "down" });
    const r = await box.run(["request", "/whoami"]);
    idp.faults.token(null);
    assertEquals(r.code, 4, r.stderr);
  });
  await t.step("a timeout is exit 5 within timeout + 1 s, naming the URL", async () => {
    const started = Date.now();
    const r = await box.run(["request", "/slow?ms=5000"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /request to http:\/\/127\.0\.0\.1:\d+\/slow\?ms=5000 timed out after 2s/);
    assert(
      Date.now() - started < 2000 + 1000 + 1500,
      "ended soon after the timeout (plus process start-up)",
    );
  });
  await t.step(
    "bad input: malformed -H, unreadable @FILE, unknown method (2); no base_url (3)",
    async () => {
      assertEquals((await box.run(["request", "/x", "-H", "no colon"])).code, 2);
      assertEquals((await box.run(["request", "/x", "-d", "@/nonexistent/file"])).code, 2);
      assertEquals((await box.run(["request", "-X", "FETCH", "/x"])).code, 2);
      await using bare = await sandbox({
        LMI_CLIENT_ID: "x",
        LMI_CLIENT_SECRET: "y",
        LMI_TOKEN_URL: idp.tokenUrl,
      });
      const r = await bare.run(["request", "/x"]);
      assertEquals(r.code, 3);
      assertMatch(r.stderr, /no base_url/);
    },
  );
  await t.step("API unreachable: exit 5", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    assertEquals((await box.run(["request", `http://127.0.0.1:${port}/x`])).code, 5);
  });
});

Deno.test("retries, origins and redirects", async (t) => {
  await using idp = await startDevIdp();

  await t.step(
    "503 with Retry-After: 1 on GET is retried and succeeds; on POST it is not",
    async () => {
      await using flaky = serve((_, n) =>
        n % 2 === 1
          ? new Response("busy", { status: 503, headers: { "retry-after": "1" } })
          : new Response("fine")
      );
      await using box = await world(idp, config(idp, flaky.url));
      const get = await box.run(["request", "/thing"]);
      assertEquals([get.code, get.stdout], [0, "fine"], get.stderr);
      assertEquals(flaky.requests.length, 2);
      const post = await box.run(["request", "-X", "POST", "/thing", "-d", "x"]);
      assertEquals(post.code, 1);
      assertEquals(flaky.requests.length, 3);
    },
  );
  await t.step("5xx after the retries: exit 1 with the status and a snippet", async () => {
    await using down = serve(() => new Response("upstream down", { status: 502 }));
    await using box = await world(idp, config(idp, down.url, "retries = 1"));
    const r = await box.run(["request", "/thing"]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /HTTP 502 .*upstream down/);
    assertEquals(down.requests.length, 2);
  });
  await t.step("another origin and a cross-origin redirect receive no Authorization", async () => {
    await using other = serve(() => new Response("other"));
    await using api = serve((req) =>
      new URL(req.url).pathname === "/go-away"
        ? new Response(null, { status: 302, headers: { location: `${other.url}/landing` } })
        : new Response("same")
    );
    await using box = await world(idp, config(idp, api.url));
    assertEquals((await box.run(["request", "/here"])).stdout, "same");
    assertMatch(api.requests[0]!.authorization ?? "", /^Bearer /);
    assertEquals((await box.run(["request", `${other.url}/direct`])).stdout, "other");
    assertEquals(other.requests[0]!.authorization, null);
    assertEquals(other.requests[0]!.headers.get("x-tenant"), null);
    assertEquals((await box.run(["request", "/go-away"])).stdout, "other");
    assertEquals(other.requests[1]!.authorization, null);
  });
});

const EXEC = "lmi exec and plugins";

Deno.test({
  name: EXEC,
  ignore: ignoreUnless(EXEC, SH, SH_SCRIPTS, { commands: ["true"] }),
}, async (t) => {
  await using idp = await startDevIdp();
  await using box = await world(idp);
  const bin = join(box.dir, "bin");
  await Deno.mkdir(bin);
  const path = `${bin}:${box.env.PATH}`;
  const out = join(box.dir, "vars.txt");
  await Deno.writeTextFile(
    join(bin, "lmi-hello"),
    `#!/bin/sh\nprintf '%s\\n' "$LMI_ENV" "$LMI_BASE_URL" "$LMI_TOKEN" "$LMI_CONFIG" "$LMI_BIN" "$*" > "${out}"\nexit 3\n`,
  );
  await Deno.chmod(join(bin, "lmi-hello"), 0o755);

  await t.step("exec: the variables, stdio, and the child's exit code", async () => {
    const r = await box.run([
      "exec",
      "--",
      "sh",
      "-c",
      'echo "$LMI_ENV $LMI_BASE_URL"; echo err >&2; exit 7',
    ]);
    assertEquals(r.code, 7);
    assertEquals(r.stdout, `dev ${idp.apiUrl}\n`);
    assertEquals(r.stderr, "err\n");
    const token = await box.run(["exec", "--", "sh", "-c", 'printf %s "$LMI_TOKEN"']);
    assertEquals(token.stdout, (await box.run(["auth", "token"])).stdout.trim());
  });
  await t.step("exec: a command that does not exist is a usage error", async () => {
    const r = await box.run(["exec", "--", "no-such-command-lmi"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /command not found/);
  });
  await t.step(
    "a plugin gets its arguments, the variables, and returns its exit code",
    async () => {
      const r = await box.run(["--env", "dev", "hello", "--env", "x", "world"], {
        env: { PATH: path },
      });
      assertEquals(r.code, 3, r.stderr);
      const [env, base, token, cfg, lmiBin, args] = (await Deno.readTextFile(out)).split("\n");
      assertEquals([env, base, cfg, args], [
        "dev",
        idp.apiUrl,
        join(box.home, "lmi.toml"),
        "--env x world",
      ]);
      assert(token!.split(".").length === 3, "LMI_TOKEN is a JWT");
      assertMatch(lmiBin!, /main\.ts$/);
    },
  );
  await t.step(
    "lmi --help lists the plugins; a missing plugin is a usage error with a suggestion",
    async () => {
      assertMatch(
        (await box.run(["--help"], { env: { PATH: path } })).stdout,
        /Plugins.*\n\s+hello\s/,
      );
      const r = await box.run(["helo"], { env: { PATH: path } });
      assertEquals(r.code, 2);
      assertMatch(r.stderr, /did you mean "lmi hello"/);
    },
  );
  await t.step("no token or secret in any output of these commands at -vv", async () => {
    const token = (await box.run(["auth", "token"])).stdout.trim();
    const runs = [
      await box.run(["request", "-vv", "/whoami"]),
      await box.run([
        "request",
        "-vv",
        "-X",
        "POST",
        "/echo",
        "-d",
        "x",
        "-H",
        "Cookie: session=topsecretcookie",
      ]),
      await box.run(["exec", "-vv", "--", "true"]),
    ];
    for (const r of runs) {
      for (const secret of [token, idp.clients.basic.secret, "topsecretcookie"]) {
        assertNotIncludes(r.stderr, secret);
      }
    }
  });
});

const FORWARD = "lmi exec forwards SIGTERM to the child and returns its exit code";

Deno.test({
  name: FORWARD,
  ignore: ignoreUnless(FORWARD, SH, {
    os: POSIX,
    why: "POSIX signals (on Windows a killed process gets no SIGTERM to forward)",
  }),
}, async () => {
  await using idp = await startDevIdp();
  await using box = await world(idp);
  const { lmiCommand } = await import("../../scripts/run_lmi.ts");
  // The child ends by itself after 10 s at most, so a lost signal fails the test, never hangs it.
  const script =
    'trap "echo got-term; exit 42" TERM; echo ready; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done';
  const { cmd, args } = lmiCommand(["exec", "--", "sh", "-c", script]);
  const child = new Deno.Command(cmd, {
    args,
    clearEnv: true,
    env: box.env,
    cwd: box.home,
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const stderr = new Response(child.stderr).text();
  let seen = "";
  let signalled = false;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    seen += chunk;
    if (!signalled && seen.includes("ready")) {
      signalled = true;
      child.kill("SIGTERM");
    }
  }
  const status = await child.status;
  assertEquals(signalled, true, `the child never started: ${await stderr}`);
  assertEquals(status.code, 42, await stderr);
  assertMatch(seen, /got-term/);
});

Deno.test("lmi request -i shows that cookies were set, never their values", async () => {
  await using idp = await startDevIdp();
  await using api = serve(() =>
    new Response("ok", {
      headers: { "set-cookie": "session=cookie-secret-value; HttpOnly", "x-other": "shown" },
    })
  );
  await using box = await world(idp, config(idp, api.url));
  const r = await box.run(["request", "-i", "/login", "-vv"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /\r\nset-cookie: \[REDACTED\]\r\n/);
  assertMatch(r.stdout, /\r\nx-other: shown\r\n/);
  assertNotIncludes(r.stdout + r.stderr, "cookie-secret-value");
});
