/**
 * The attack trust defends against, end to end: a cloned repository commits an lmi.toml whose
 * env matches its own remote. With lmi set up as git's credential helper exactly as the README
 * says, a plain `git fetch` in it must not run that file's command, must not post the user's
 * secret to the file's token URL, and Docker's and kubectl's entry points must not either. Once
 * the user trusts the file, the very same steps do all of that (so the test can see an attack),
 * and after `lmi untrust` neither the parsed-config cache nor the warm path serves it.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { gitHelper, runWithInput, sandbox } from "../helpers/cli.ts";
import { ignoreUnless, POSIX } from "../helpers/components.ts";
import { exists } from "../helpers/files.ts";

/** A git host that asks for credentials on every request, and a token endpoint that records. */
function startServer() {
  const authorizations: string[] = [];
  const tokenRequests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/collect") {
      tokenRequests.push(`${req.headers.get("authorization")} ${await req.text()}`);
      return Response.json({
        access_token: "collected-token",
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    const auth = req.headers.get("authorization");
    if (auth) authorizations.push(auth);
    return new Response("auth needed", {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="git"' },
    });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    authorizations,
    tokenRequests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const NAME = "a cloned repository's lmi.toml cannot run commands or take secrets through git";

Deno.test({
  name: NAME,
  ignore: ignoreUnless(NAME, {
    os: POSIX,
    why: "git runs the `!` helper line through sh; the planted command is a sh script",
    commands: ["git", "sh"],
  }),
}, async (t) => {
  await using server = startServer();
  // A user's machine: nothing trusted, a deploy key in the environment.
  await using box = await sandbox({ LMI_TRUSTED_PATHS: "", MY_DEPLOY_KEY: "the-users-deploy-key" });
  const repo = join(box.home, "cloned");
  const marker = join(box.dir, "pwned");
  const helper = gitHelper();
  const gitEnv = {
    ...box.env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const git = (...a: string[]) => runWithInput("git", a, { env: gitEnv, cwd: repo, input: "" });

  // As the README sets the helper up: scoped to the git host.
  await runWithInput("git", ["config", "--global", `credential.${server.origin}.helper`, helper], {
    env: gitEnv,
    cwd: box.home,
    input: "",
  });
  // Two envs on one host: git names the repository's path (README "git").
  await runWithInput("git", ["config", "--global", "credential.useHttpPath", "true"], {
    env: gitEnv,
    cwd: box.home,
    input: "",
  });
  await runWithInput("git", ["init", "-q", repo], { env: gitEnv, cwd: box.home, input: "" });
  await git("remote", "add", "origin", `${server.origin}/org/x.git`);
  await Deno.writeTextFile(
    join(repo, "lmi.toml"),
    `[envs.git]
base_url = "${server.origin}/org"
[envs.git.auth]
type = "command"
command = ["sh", "-c", "touch '${marker}'; echo planted-token"]

[envs.deploy]
base_url = "${server.origin}/deploy"
[envs.deploy.auth]
type = "client_credentials"
token_url = "${server.origin}/collect"
client_id = "x"
client_secret_env = "MY_DEPLOY_KEY"
`,
  );

  await t.step("untrusted: git fetch runs nothing and sends no token", async () => {
    const r = await git("fetch", "origin");
    assert(r.code !== 0, "git fails: the helper answered nothing");
    assert(!await exists(marker), "the planted command did not run");
    assertEquals(server.authorizations, []);
  });
  await t.step("untrusted: the user's secret goes nowhere", async () => {
    await git("ls-remote", `${server.origin}/deploy/y.git`);
    assertEquals(server.tokenRequests, []);
  });
  await t.step("untrusted: Docker's helper answers not found; kubectl gets exit 3", async () => {
    const docker = await box.run(["docker-credential", "get"], {
      cwd: repo,
      stdin: `${server.origin}/org\n`,
    });
    assertEquals([docker.code, docker.stdout], [1, "credentials not found in native keychain\n"]);
    const kube = await box.run(["auth", "token", "--env", "git", "--format", "exec-credential"], {
      cwd: repo,
      env: {
        KUBERNETES_EXEC_INFO:
          '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}',
      },
    });
    assertEquals(kube.code, 3);
    assertEquals(kube.stdout, "");
    assertEquals(
      kube.stderr,
      `lmi: error: ${join(repo, "lmi.toml")} is not trusted\nhint: review it, then run lmi ` +
        "trust (lmi trust --show shows what it lets lmi do), or name your config with --config " +
        "or LMI_CONFIG\n",
    );
    assert(!await exists(marker));
    assertEquals(server.tokenRequests, []);
  });
  await t.step("trusted: the same steps use the file (the test sees an attack)", async () => {
    const trusted = await box.run(["trust"], { cwd: repo });
    assertEquals(trusted.code, 0, trusted.stderr);
    assertMatch(trusted.stderr, /runs {16}"sh" "-c" "touch /);
    assertMatch(trusted.stderr, /reads variables {5}"MY_DEPLOY_KEY"/);
    await git("fetch", "origin");
    assert(await exists(marker), "the command ran once trusted");
    assertEquals(server.authorizations[0], `Basic ${btoa("oauth2:planted-token")}`);
    await git("ls-remote", `${server.origin}/deploy/y.git`);
    assertEquals(server.tokenRequests.length, 1);
    const basic = server.tokenRequests[0]!.split(" ")[1]!;
    assertEquals(atob(basic), "x:the-users-deploy-key");
  });
  await t.step(
    "untrusted again: neither the parsed cache nor the warm path serves it",
    async () => {
      const warm = await box.run(["auth", "token", "--env", "deploy"], { cwd: repo });
      assertEquals([warm.code, warm.stdout], [0, "collected-token\n"], warm.stderr);
      assertEquals((await box.run(["untrust"], { cwd: repo })).code, 0);
      const r = await box.run(["auth", "token", "--env", "deploy"], { cwd: repo });
      assertEquals([r.code, r.stdout], [3, ""]);
      assertMatch(r.stderr, /is not trusted\nhint: review it, then run lmi trust /);
    },
  );
});
