/**
 * Rows 5: peers, where installed, each against bare Deno like lmi's own start-up rows:
 * `gh auth token` with GH_TOKEN set (Debian `gh`), and `oidc-token` from oidc-agent (Debian
 * `oidc-agent-cli`) with an account on the dev IdP. No targets: they show where lmi stands.
 * An absent tool is a skipped row with the reason.
 *
 * @module
 */
import { join } from "node:path";
import { ACCOUNT, startOidcAgent } from "./oidc_agent.ts";
import { ok, run, runWithRss, type Sample, which } from "./proc.ts";
import { type Row, type RowSpec, skippedRow } from "./rows.ts";
import { versusBare } from "./startup.ts";
import type { World } from "./world.ts";

function specs(key: string, label: string): { wall: RowSpec; rss: RowSpec } {
  return {
    wall: { id: `peers.${key}.wall`, name: `peer: ${label}: wall time`, unit: "ms" },
    rss: { id: `peers.${key}.rss`, name: `peer: ${label}: peak RSS`, unit: "MB" },
  };
}

function skipped(s: { wall: RowSpec; rss: RowSpec }, reason: string): Row[] {
  return [skippedRow(s.wall, reason), skippedRow(s.rss, reason)];
}

/** `cmd` must print `expected` (or, when undefined, something). */
function printing(sample: Sample, what: string, expected?: string): Sample {
  ok(sample, what);
  const out = sample.stdout.trim();
  if (expected !== undefined ? out !== expected : out === "") {
    throw new Error(`${what} printed ${JSON.stringify(out.slice(0, 40))}`);
  }
  return sample;
}

async function ghRows(world: World, rounds: number): Promise<Row[]> {
  const s = specs("gh", "gh auth token (GH_TOKEN set)");
  const gh = which("gh", world.env.PATH);
  if (!gh) return skipped(s, "gh not installed (Debian package gh)");
  const token = `ghp_${crypto.randomUUID().replaceAll("-", "")}`;
  const env = {
    ...world.env,
    GH_TOKEN: token,
    GH_CONFIG_DIR: join(world.dir, "gh"),
    GH_NO_UPDATE_NOTIFIER: "1",
    GH_PROMPT_DISABLED: "1",
  };
  const spec = { cmd: gh, args: ["auth", "token"], env, cwd: world.home, stdout: "piped" as const };
  return await versusBare(
    world,
    rounds,
    s,
    async () => printing(await run(spec), "gh auth token", token),
    async () => printing(await runWithRss(spec, world.scratch), "gh auth token", token),
  );
}

async function oidcTokenRows(world: World, rounds: number): Promise<Row[]> {
  const s = specs("oidc_token", "oidc-token (oidc-agent, token cached in the agent)");
  const path = world.env.PATH ?? "";
  const [token, agent, gen] = ["oidc-token", "oidc-agent", "oidc-gen"].map((c) => which(c, path));
  if (!token || !agent || !gen) {
    return skipped(s, "oidc-token, oidc-agent or oidc-gen not installed (Debian oidc-agent-cli)");
  }
  let running;
  try {
    running = await startOidcAgent(agent, gen, world.site.idp, join(world.dir, "oidc"), path);
  } catch (err) {
    return skipped(s, `could not set up oidc-agent: ${(err as Error).message}`);
  }
  const pending = world.onClose(running.close);
  try {
    const spec = {
      cmd: token,
      args: [ACCOUNT],
      env: running.env,
      cwd: world.home,
      stdout: "piped" as const,
    };
    return await versusBare(
      world,
      rounds,
      s,
      async () => printing(await run(spec), "oidc-token"),
      async () => printing(await runWithRss(spec, world.scratch), "oidc-token"),
    );
  } finally {
    pending.drop();
    await running.close();
  }
}

export async function peerRows(world: World, rounds: number): Promise<Row[]> {
  return [...await ghRows(world, rounds), ...await oidcTokenRows(world, rounds)];
}
