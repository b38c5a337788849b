/**
 * `deno task demo`: starts the development IdP and its protected API on 127.0.0.1, writes a
 * throwaway config, runs real lmi commands against them (printing each command and its output),
 * then stops everything and removes the temporary files.
 *
 * @module
 */
import { join } from "node:path";
import { startDevIdp } from "./dev_idp.ts";
import { denoDir, runLmi } from "./run_lmi.ts";

const bold = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[1m${s}\x1b[0m` : s;
const dim = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[2m${s}\x1b[0m` : s;

async function main(): Promise<number> {
  const idp = await startDevIdp();
  const dir = await Deno.makeTempDir({ prefix: "lmi-demo-" });
  try {
    await Deno.writeTextFile(
      join(dir, "lmi.toml"),
      `# Throwaway config written by the lmi demo
default_env = "dev"

[envs.dev]
base_url = "${idp.apiUrl}"

[envs.dev.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.basic.id}"
scopes = ["api.read"]
audience = "${idp.resource}"

[envs.tools]
base_url = "${idp.apiUrl}"

[envs.tools.auth]
type = "password"
issuer = "${idp.issuer}"
client_id = "${idp.clients.password.id}"
scopes = ["api.read", "api.write"]
`,
    );
    await Deno.writeTextFile(
      join(dir, ".env"),
      `LMI_DEV_CLIENT_SECRET=${idp.clients.basic.secret}\nLMI_TOOLS_CLIENT_SECRET=${idp.clients.password.secret}\n` +
        `LMI_TOOLS_USERNAME=${idp.users.alice.username}\nLMI_TOOLS_PASSWORD=${idp.users.alice.password}\n`,
    );
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: dir,
      DENO_DIR: denoDir(),
      LMI_CACHE_DIR: join(dir, "cache"),
      NO_COLOR: "1",
    };
    console.log(bold(`lmi demo: dev IdP at ${idp.issuer}, protected API at ${idp.apiUrl}`));
    console.log(dim(`config: ${join(dir, "lmi.toml")} (secrets in .env beside it)\n`));

    const steps: Array<{ args: string[]; expect: number; note: string }> = [
      { args: ["env", "list"], expect: 0, note: "the environments in lmi.toml" },
      {
        args: ["env", "show", "dev"],
        expect: 0,
        note: "every resolved value and where it came from",
      },
      { args: ["auth", "status", "--env", "dev"], expect: 1, note: "no token yet: exit 1" },
      {
        args: ["login", "--env", "dev"],
        expect: 0,
        note: "client credentials grant; the token is cached",
      },
      {
        args: ["auth", "token", "--env", "dev", "-v"],
        expect: 0,
        note: "served from the cache (said at -v)",
      },
      {
        args: ["auth", "token", "--env", "tools", "--format", "json"],
        expect: 0,
        note: "password grant",
      },
      {
        args: ["auth", "token", "--env", "tools", "--min-ttl", "2h", "-v"],
        expect: 0,
        note: "renewed with the refresh token",
      },
      { args: ["auth", "status"], expect: 0, note: "every env's token state" },
      {
        args: ["auth", "token", "--env", "nope"],
        expect: 3,
        note: "an unknown env: exit 3 with a hint",
      },
      { args: ["logout", "--all"], expect: 0, note: "delete the cached tokens" },
      { args: ["auth", "status", "--env", "dev"], expect: 1, note: "signed out again" },
    ];
    let failures = 0;
    for (const step of steps) {
      console.log(dim(`# ${step.note}`));
      console.log(bold(`$ lmi ${step.args.join(" ")}`));
      const r = await runLmi(step.args, env, { cwd: dir });
      if (r.stdout) Deno.stdout.writeSync(new TextEncoder().encode(r.stdout));
      if (r.stderr) Deno.stdout.writeSync(new TextEncoder().encode(r.stderr));
      console.log(dim(`(exit ${r.code})\n`));
      if (r.code !== step.expect) {
        failures++;
        console.error(
          `demo: expected exit ${step.expect} from "lmi ${step.args.join(" ")}", got ${r.code}`,
        );
      }
      if (step.args[0] === "login") {
        const token = (await runLmi(["auth", "token", "--env", "dev"], env, { cwd: dir })).stdout
          .trim();
        const res = await fetch(`${idp.apiUrl}/whoami`, {
          headers: { authorization: `Bearer ${token}` },
        });
        console.log(dim("# the protected API accepts the token:"));
        console.log(bold(`$ curl -H "$(lmi auth token --format header)" ${idp.apiUrl}/whoami`));
        console.log(`${JSON.stringify(await res.json())}\n`);
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
