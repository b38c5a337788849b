/**
 * `deno run` from a URL: the repository served over HTTP on 127.0.0.1, the CLI run from there
 * with --no-config (no deno.json, no import map, no lock file), and a script that imports
 * createClient from that URL, both against the dev IdP and API.
 */
import { join } from "../../src/util/path.ts";
import { assertEquals } from "../helpers/assert.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { runDeno } from "../helpers/cli.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { permissionFlags } from "../../scripts/permissions.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

const TYPES: Record<string, string> = { ts: "application/typescript", json: "application/json" };

function serveRepo() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(join(REPO, path));
      return new Response(body, {
        headers: { "content-type": TYPES[path.split(".").pop()!] ?? "text/plain" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    host: `127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

Deno.test("deno run from a URL: the CLI and the library", async (t) => {
  await using idp = await startDevIdp();
  const repo = serveRepo();
  await using box = await devSandbox(
    idp,
    `default_env = "dev"\n` + serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` }),
  );
  const run = async (args: string[]) => {
    return await runDeno(
      [
        "run",
        "--quiet",
        "--no-prompt",
        "--no-config",
        ...permissionFlags(),
        `--allow-import=${repo.host}`,
        ...args,
      ],
      box,
    );
  };
  try {
    await t.step("the CLI: lmi auth token and lmi request", async () => {
      const token = await run([`${repo.url}/main.ts`, "auth", "token"]);
      assertEquals(token.code, 0, token.stderr);
      assertEquals(token.stdout.trim().split(".").length, 3);
      const who = await run([`${repo.url}/main.ts`, "request", "/whoami"]);
      assertEquals(who.code, 0, who.stderr);
      assertEquals(JSON.parse(who.stdout).client_id, idp.clients.basic.id);
      const version = await run([`${repo.url}/main.ts`, "--version"]);
      assertEquals(version.stdout.startsWith("lmi "), true, version.stderr);
    });
    await t.step("a script importing createClient by URL", async () => {
      const script = join(box.dir, "script.ts");
      await Deno.writeTextFile(
        script,
        `import { createClient, getToken } from "${repo.url}/src/mod.ts";
const api = await createClient({ env: "dev" });
const res = await api.fetch("/whoami");
const body = await res.json();
const token = await getToken("dev");
console.log(JSON.stringify({ status: res.status, client: body.client_id, env: api.env.name, jwt: token.split(".").length === 3 }));
`,
      );
      const r = await run([script]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout), {
        status: 200,
        client: idp.clients.basic.id,
        env: "dev",
        jwt: true,
      });
    });
  } finally {
    await repo.close();
  }
});
