/**
 * oidc-agent (Debian `oidc-agent-cli`) set up against the dev IdP for the `oidc-token` peer row:
 * the agent in the foreground on a private socket, and an account made by `oidc-gen` with the
 * password grant of the IdP's `pw-client` (refresh token included), kept in the agent only
 * (`--no-save`: no encrypted file, no password prompt).
 *
 * @module
 */
import { join } from "node:path";
import { childEnv } from "../child_env.ts";
import type { DevIdp } from "../dev_idp/mod.ts";
import { ok, run } from "./proc.ts";

export const ACCOUNT = "lmi-bench";

export interface OidcAgent {
  /** The environment oidc-token needs (OIDC_SOCK and a private HOME). */
  env: Record<string, string>;
  close(): Promise<void>;
}

async function waitFor(path: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      await Deno.stat(path);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return false;
}

export async function startOidcAgent(
  agentPath: string,
  genPath: string,
  idp: DevIdp,
  dir: string,
  basePath: string,
): Promise<OidcAgent> {
  const home = join(dir, "home");
  await Deno.mkdir(home, { recursive: true });
  const sock = join(dir, "agent.sock");
  const env = childEnv({ home, path: basePath, vars: { TMPDIR: dir, OIDC_SOCK: sock } });
  const agent = new Deno.Command(agentPath, {
    args: ["--console", `--socket-path=${sock}`, "--no-autoload", "--quiet"],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const close = async () => {
    try {
      agent.kill("SIGTERM");
    } catch { /* ended */ }
    await agent.status;
  };
  try {
    if (!await waitFor(sock, 5000)) throw new Error("oidc-agent made no socket in 5 s");
    const password = idp.clients.password;
    const alice = idp.users.alice;
    ok(
      await run({
        cmd: genPath,
        args: [
          ACCOUNT,
          "--no-save",
          `--iss=${idp.issuer}`,
          `--client-id=${password.id}`,
          `--client-secret=${password.secret}`,
          "--flow=password",
          `--op-username=${alice.username}`,
          `--op-password=${alice.password}`,
          "--scope=openid offline_access",
          "--prompt=none",
          "--confirm-default",
        ],
        env,
        cwd: home,
        limitMs: 30_000,
      }),
      "oidc-gen",
    );
    return { env, close };
  } catch (err) {
    await close();
    throw err;
  }
}
