/**
 * `deno task demo`: starts the development IdP and its protected API on 127.0.0.1, writes a
 * throwaway config, runs real lmi commands against them (printing each command and its output),
 * then stops everything and removes the temporary files.
 *
 * @module
 */
import { join } from "../src/util/path.ts";
import { startDevIdp } from "./dev_idp/mod.ts";
import { configSource, lmiConfigFiles, writeLmiConfig } from "./dev_idp/lmi_config.ts";
import { childEnv } from "./child_env.ts";
import { runLmi } from "./run_lmi.ts";

const bold = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[1m${s}\x1b[0m` : s;
const dim = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[2m${s}\x1b[0m` : s;

async function main(): Promise<number> {
  const idp = await startDevIdp();
  const dir = await Deno.makeTempDir({ prefix: "lmi-demo-" });
  try {
    // The config `deno task dev-idp --write-config` writes: the demo and the tutorial share it.
    await writeLmiConfig(dir, lmiConfigFiles(configSource(idp)));
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      join(bin, "lmi-hello"),
      '#!/bin/sh\necho "lmi-hello: env=$LMI_ENV api=$LMI_BASE_URL token: ${#LMI_TOKEN} characters; args: $*"\n' +
        "exec $LMI_BIN request /whoami\n",
    );
    await Deno.chmod(join(bin, "lmi-hello"), 0o755);
    const env = childEnv({
      home: dir,
      path: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      vars: { LMI_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" },
    });
    console.log(bold(`lmi demo: dev IdP at ${idp.issuer}, protected API at ${idp.apiUrl}`));
    console.log(dim(`config: ${join(dir, "lmi.toml")} (secrets in .env beside it)\n`));

    // [what the step shows, its exit code, lmi's arguments, what its stderr must say]
    const steps: Array<[note: string, expect: number, args: string[], says?: RegExp]> = [
      ["lmi found ./lmi.toml, but uses a discovered file only once you trust it: exit 3", 3, [
        "env",
        "list",
      ]],
      ["what the file lets lmi do; then it is trusted (until it changes)", 0, ["trust"]],
      ["the environments in lmi.toml", 0, ["env", "list"]],
      ["every resolved value and where it came from", 0, ["env", "show", "dev"]],
      ["no token yet: exit 1", 1, ["auth", "status", "--env", "dev"]],
      ["client credentials grant; the token is cached", 0, ["login", "--env", "dev"]],
      ["served from the cache (said at -v)", 0, ["auth", "token", "--env", "dev", "-v"]],
      ["an authenticated call to the protected API", 0, ["request", "/whoami", "--json"]],
      ["POST a body; -i shows status and headers", 0, [
        "request",
        "-X",
        "POST",
        "/echo",
        "-d",
        '{"hello":"api"}',
        "-i",
      ]],
      ["a failing API answer: the body on stdout, the status on stderr, exit 1", 1, [
        "request",
        "/status/404",
      ]],
      ["a plugin: lmi-hello on PATH gets LMI_ENV, LMI_BASE_URL, LMI_TOKEN, LMI_BIN", 0, [
        "hello",
        "world",
      ]],
      ["run a command with the token in its environment", 0, [
        "exec",
        "--",
        "sh",
        "-c",
        'echo "child sees LMI_ENV=$LMI_ENV and a ${#LMI_TOKEN}-character LMI_TOKEN"',
      ]],
      ["password grant", 0, ["auth", "token", "--env", "password", "--format", "json"]],
      [
        "valid for 2h, more than the cached token has left: renewed with the refresh token " +
        "(-v says so); the IdP's tokens live 1h, so lmi warns",
        0,
        ["auth", "token", "--env", "password", "--min-ttl", "2h", "-v"],
        /refreshing the token for env "password"/,
      ],
      ["a CI job's OIDC token (here from the dev IdP's CI issuer) exchanged for one", 0, [
        "request",
        "/whoami",
        "--env",
        "exchange",
      ]],
      ["every env's token state; exit 1: [sso] is set up and nobody signed in", 1, [
        "auth",
        "status",
      ]],
      ["an unknown env: exit 3 with a hint", 3, ["auth", "token", "--env", "nope"]],
      ["delete the cached tokens", 0, ["logout", "--all"]],
      ["signed out again", 1, ["auth", "status", "--env", "dev"]],
    ];
    let failures = 0;
    for (const [note, expect, args, says] of steps) {
      console.log(dim(`# ${note}`));
      console.log(bold(`$ lmi ${args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(" ")}`));
      const r = await runLmi(args, env, { cwd: dir });
      if (r.stdout) {
        Deno.stdout.writeSync(
          new TextEncoder().encode(r.stdout.endsWith("\n") ? r.stdout : `${r.stdout}\n`),
        );
      }
      if (r.stderr) Deno.stdout.writeSync(new TextEncoder().encode(r.stderr));
      console.log(dim(`(exit ${r.code})\n`));
      if (r.code !== expect) {
        failures++;
        console.error(`demo: expected exit ${expect} from "lmi ${args.join(" ")}", got ${r.code}`);
      } else if (says && !says.test(r.stderr)) {
        failures++;
        console.error(`demo: "lmi ${args.join(" ")}" did not say ${says} on stderr`);
      }
    }
    console.log(
      bold(
        failures === 0
          ? "demo finished: every command behaved as expected"
          : `demo: ${failures} unexpected result(s)`,
      ),
    );
    return failures === 0 ? 0 : 1;
  } finally {
    await idp.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.exit(await main());
