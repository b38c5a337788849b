/**
 * `deno task smoke PROGRAM [ARGS...]`: a smoke test of an lmi program, such as a compiled binary
 * (`deno task smoke dist/lmi-x86_64-unknown-linux-gnu`), against the development IdP and API on
 * 127.0.0.1: `--version --json`, `auth token` (twice: the second from the cache) and `request`.
 * One line per check; exit 1 when any fails. The CI workflow runs it on every OS's binary.
 *
 * @module
 */
import { join } from "../src/util/path.ts";
import { childEnv } from "./child_env.ts";
import { startDevIdp } from "./dev_idp/mod.ts";

interface Check {
  name: string;
  args: string[];
  ok(stdout: string): boolean;
}

const CHECKS: Check[] = [
  {
    name: "--version --json names lmi's version",
    args: ["--version", "--json"],
    ok: (out) => typeof JSON.parse(out).version === "string",
  },
  {
    name: "auth token gets a JWT from the IdP",
    args: ["auth", "token"],
    ok: (out) => out.trim().split(".").length === 3,
  },
  {
    name: "auth token again, from the cache",
    args: ["auth", "token", "--format", "json"],
    ok: (out) => typeof JSON.parse(out).access_token === "string",
  },
  {
    name: "request /whoami reaches the API with the token",
    args: ["request", "/whoami"],
    ok: (out) => out.includes("client_id"),
  },
];

export async function smoke(program: string[]): Promise<number> {
  const [cmd, ...prefix] = program;
  if (!cmd) {
    console.error("usage: deno task smoke PROGRAM [ARGS...]");
    return 2;
  }
  await using idp = await startDevIdp();
  const dir = await Deno.makeTempDir({ prefix: "lmi-smoke-" });
  try {
    await Deno.writeTextFile(
      join(dir, "lmi.toml"),
      `default_env = "dev"\n[envs.dev]\nbase_url = "${idp.apiUrl}"\n[envs.dev.auth]\n` +
        `type = "client_credentials"\nissuer = "${idp.issuer}"\n` +
        `client_id = "${idp.clients.basic.id}"\nscopes = ["api.read"]\naudience = "${idp.resource}"\n`,
    );
    const env = childEnv({
      home: dir,
      vars: {
        LMI_CACHE_DIR: join(dir, "cache"),
        // The config written here is the smoke test's own (a discovered file needs trust).
        LMI_TRUSTED_PATHS: dir,
        LMI_DEV_CLIENT_SECRET: idp.clients.basic.secret,
        NO_COLOR: "1",
      },
    });
    let failed = 0;
    for (const check of CHECKS) {
      const out = await new Deno.Command(cmd, {
        args: [...prefix, ...check.args],
        cwd: dir,
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      let passed = out.code === 0;
      try {
        passed &&= check.ok(stdout);
      } catch {
        passed = false;
      }
      console.log(`${passed ? "ok  " : "FAIL"} ${check.name} (exit ${out.code})`);
      if (!passed) {
        failed++;
        console.log(new TextDecoder().decode(out.stderr).trimEnd());
      }
    }
    console.log(failed === 0 ? "smoke: all passed" : `smoke: ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await smoke(Deno.args));
