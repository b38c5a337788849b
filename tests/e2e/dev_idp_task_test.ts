/**
 * `deno task dev-idp` as a newcomer runs it: the real task, started from another folder with
 * --port and --write-config, says in words what it serves; then lmi in the written folder, as the
 * tutorial has it: lmi trust, a token for every env and the API called with it (the SSO env
 * through the device flow in Chromium), lmi logout. A taken port and a folder holding another
 * config end with exit 1 and one line; SIGTERM and SIGINT stop it with exit 0. Nothing it prints
 * is an oidc-provider warning or notice.
 */
import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { ignoreUnless, POSIX } from "../helpers/components.ts";
import { NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { deviceSignInAs, signInWithoutTerminal } from "../helpers/background.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { API_ROUTES, READY } from "../../scripts/dev_idp/summary.ts";
import { CLIENTS } from "../../scripts/dev_idp/clients.ts";
import { freePorts } from "../helpers/ports.ts";

const SIGNALS = { os: POSIX, why: "stops the task with SIGTERM" };

interface TaskRun {
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches; rejects when the task ends first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: Deno.Signal): void;
  status: Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** `deno task --config <repo>/deno.json dev-idp ARGS` in `cwd`, as a person runs it. */
function devIdpTask(args: string[], env: Record<string, string>, cwd: string): TaskRun {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", join(REPO, "deno.json"), "dev-idp", ...args],
    clearEnv: true,
    env,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) add(dec.decode(chunk, { stream: true }));
  };
  const limit = setTimeout(() => kill("SIGKILL"), 120_000);
  const status = Promise.all([
    collect(child.stdout, (s) => out += s),
    collect(child.stderr, (s) => err += s),
  ])
    .then(() => child.status)
    .then((s) => s.code)
    .finally(() => clearTimeout(limit));
  let ended = false;
  status.then(() => ended = true, () => ended = true);
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* ended */ }
  };
  return {
    stdout: () => out,
    stderr: () => err,
    async waitFor(re, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!re.test(out)) {
        if (ended || Date.now() > end) {
          throw new Error(`stdout never matched ${re}:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill,
    status,
    async [Symbol.asyncDispose]() {
      if (!ended) kill("SIGKILL");
      await status;
    },
  };
}

/** What the task said on stderr beyond Deno's "Task dev-idp …" line. */
function ownStderr(stderr: string): string[] {
  // NO_COLOR is set (the sandbox's environment): the line is plain.
  return stderr.split("\n").filter((l) => l.trim() && !l.startsWith("Task dev-idp "));
}

/** The client each env's tokens are issued to, as the API's /whoami tells. */
const ENV_CLIENTS: Record<string, string> = {
  dev: CLIENTS.basic.id,
  post: CLIENTS.post.id,
  jwt: CLIENTS.jwt.id,
  password: CLIENTS.password.id,
  exchange: CLIENTS.workload.id,
  "jwt-bearer": CLIENTS.workload.id,
  federated: CLIENTS.federated.id,
};

Deno.test({
  name: "deno task dev-idp: the tutorial's IdP, its words, its config used by lmi",
  ignore: ignoreUnless("deno task dev-idp", SIGNALS),
  fn: async (t) => {
    // A user's machine: nothing trusted until lmi trust.
    await using box = await sandbox({ LMI_TRUSTED_PATHS: "" });
    const port = freePorts();
    const issuer = `http://127.0.0.1:${port}`;
    const api = `http://127.0.0.1:${port + 1}`;
    const dir = join(box.dir, "tutorial");
    // Started in the sandbox's folder: the relative --write-config is taken from there.
    await using task = devIdpTask(
      ["--port", String(port), "--write-config", "tutorial"],
      box.env,
      box.dir,
    );
    await task.waitFor(/^No lmi installed\?.*\n/m);

    await t.step("it says in words where it listens, what the API offers, who may sign in", () => {
      const out = task.stdout();
      assert(out.startsWith(READY), out);
      assertMatch(out, new RegExp(`Issuer +${issuer} `));
      assertMatch(out, new RegExp(`API +${api} `));
      assertMatch(out, new RegExp(`CI issuer +http://127\\.0\\.0\\.1:${port + 2} `));
      for (const [method, route] of API_ROUTES) {
        assertMatch(out, new RegExp(`${method} +${route.replace(/[?]/g, "\\?")} `));
      }
      assertStringIncludes(out, "alice, password alice-dev-password-4e7a19");
      for (const client of Object.values(CLIENTS)) assertStringIncludes(out, `  ${client.id} `);
      for (const client of [CLIENTS.basic, CLIENTS.post, CLIENTS.password]) {
        assertStringIncludes(out, `secret ${client.secret}`);
      }
      assertStringIncludes(out, `cd ${dir}\n`);
      assertMatch(out, /^ {2}lmi trust /m);
      assertMatch(out, /^ {2}lmi auth token /m);
      assertStringIncludes(out, `alias lmi='deno task -q --config ${join(REPO, "deno.json")} lmi'`);
      assert(!out.trimStart().startsWith("{"), "words, not JSON");
      assertEquals(ownStderr(task.stderr()), []);
    });

    await t.step({
      name: ".env holds the secrets, mode 0600",
      ignore: ignoreUnless(".env mode", { os: POSIX, why: "POSIX file modes" }),
      fn: async () => {
        assertEquals((await Deno.stat(join(dir, ".env"))).mode! & 0o777, 0o600);
        assertStringIncludes(await Deno.readTextFile(join(dir, ".env")), CLIENTS.basic.secret);
      },
    });

    await t.step(
      "untrusted at first; lmi trust, then every env has a token the API takes",
      async () => {
        const refused = await box.run(["auth", "token"], { cwd: dir });
        assertEquals(refused.code, 3, refused.stderr);
        assertMatch(refused.stderr, /is not trusted/);
        const trust = await box.run(["trust"], { cwd: dir });
        assertEquals(trust.code, 0, trust.stderr);
        const token = await box.run(["auth", "token"], { cwd: dir });
        assertEquals(token.code, 0, token.stderr);
        const whoami = await box.run(["request", "/whoami"], { cwd: dir });
        assertEquals(whoami.code, 0, whoami.stderr);
        assertEquals(JSON.parse(whoami.stdout).client_id, CLIENTS.basic.id);
        for (const [env, client] of Object.entries(ENV_CLIENTS)) {
          const got = await box.run(["auth", "token", "-e", env], { cwd: dir });
          assertEquals(got.code, 0, `${env}: ${got.stderr}`);
          const r = await box.run(["request", "/whoami", "-e", env], { cwd: dir });
          assertEquals(r.code, 0, `${env}: ${r.stderr}`);
          const claims = JSON.parse(r.stdout);
          assertEquals(claims.client_id, client, env);
          assertEquals(claims.aud, `${api}/`, env);
        }
        const echo = await box.run(["request", "-X", "POST", "/echo", "-d", "hi", "-e", "post"], {
          cwd: dir,
        });
        assertEquals(JSON.parse(echo.stdout).body, "hi");
      },
    );

    await t.step({
      name: "the sso env, after a device sign-in as alice in the browser",
      ignore: ignoreUnless("dev-idp sso env", NEEDS_CHROMIUM),
      fn: async () => {
        const env = { ...box.env, CI: "true", LMI_KEYRING: "file" };
        const login = await signInWithoutTerminal(
          ["login", "sso", "--device", "--timeout", "60s"],
          env,
          dir,
          deviceSignInAs({ username: "alice", password: "alice-dev-password-4e7a19" }),
        );
        assertEquals(await login.status, 0, login.stderr());
        const r = await box.run(["request", "/whoami", "-e", "sso"], { cwd: dir, env });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(JSON.parse(r.stdout).sub, "user-alice-0001");
      },
    });

    await t.step("lmi logout --all: the refresh token revoked at the IdP", async () => {
      const r = await box.run(["logout", "--all"], { cwd: dir });
      assertEquals(r.code, 0, r.stderr);
    });

    await t.step("a port it needs is taken: exit 1, one line naming it and --port", async () => {
      await using second = devIdpTask(["--port", String(port)], box.env, box.dir);
      assertEquals(await second.status, 1);
      const lines = ownStderr(second.stderr());
      assertEquals(lines.length, 1, second.stderr());
      // The API listens first: its port, N + 1, is the one found taken.
      assertMatch(lines[0]!, new RegExp(`^dev-idp: error: port ${port + 1} .*--port N`));
      assertEquals(second.stdout(), "");
    });

    await t.step("a folder with another IdP's config: exit 1, nothing overwritten", async () => {
      const toml = await Deno.readTextFile(join(dir, "lmi.toml"));
      await using other = devIdpTask(
        ["--port", String(freePorts()), "--write-config", dir],
        box.env,
        box.dir,
      );
      assertEquals(await other.status, 1);
      const lines = ownStderr(other.stderr());
      assertEquals(lines.length, 1, other.stderr());
      assertMatch(lines[0]!, /^dev-idp: error: .*lmi\.toml exists and differs .*not overwritten/);
      assertEquals(await Deno.readTextFile(join(dir, "lmi.toml")), toml);
    });

    await t.step("SIGTERM stops it: exit 0, its ports free again", async () => {
      task.kill("SIGTERM");
      assertEquals(await task.status, 0, task.stderr());
      assertEquals(ownStderr(task.stderr()), []);
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      Deno.listen({ hostname: "127.0.0.1", port: port + 1 }).close();
    });

    await t.step("nothing it printed was oidc-provider's", () => {
      assertNotIncludes(task.stdout() + task.stderr(), "oidc-provider");
      assertNotIncludes(task.stdout() + task.stderr(), "WARNING");
    });
  },
});

Deno.test({
  name: "deno task dev-idp --json: the machine-readable description; Ctrl-C stops it",
  ignore: ignoreUnless("deno task dev-idp --json", SIGNALS),
  fn: async () => {
    await using box = await sandbox();
    const port = freePorts();
    await using task = devIdpTask(["--port", String(port), "--json"], box.env, box.dir);
    await task.waitFor(/^}$/m);
    const described = JSON.parse(task.stdout());
    assertEquals(described.issuer, `http://127.0.0.1:${port}`);
    assertEquals(described.apiUrl, `http://127.0.0.1:${port + 1}`);
    assertEquals(described.clients.basic, CLIENTS.basic);
    assertMatch(described.clients.jwt.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    task.kill("SIGINT");
    assertEquals(await task.status, 0, task.stderr());
    assertEquals(ownStderr(task.stderr()), []);
  },
});

Deno.test("deno task dev-idp --help and a usage error", async () => {
  await using box = await sandbox();
  await using help = devIdpTask(["--help"], box.env, box.dir);
  assertEquals(await help.status, 0);
  assertMatch(help.stdout(), /^usage: deno task dev-idp \[--port N\] \[--write-config DIR\]/);
  assertStringIncludes(help.stdout(), "the IdP on port N, the API on N+1");
  await using bad = devIdpTask(["--port", "nine"], box.env, box.dir);
  assertEquals(await bad.status, 2);
  assertMatch(ownStderr(bad.stderr())[0]!, /^dev-idp: error: --port: expected a port/);
});
