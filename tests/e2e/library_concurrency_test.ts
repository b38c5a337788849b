/**
 * `createClient().fetch` under load against the dev IdP and a loopback API: 200 requests in
 * flight at all times while the token nears its expiry mid-run (an injected clock jumps past
 * the refresh margin) make exactly one more token request, and no request fails.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { libraryScriptArgs, runDeno } from "../helpers/cli.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

const CONCURRENCY = 200;
const REQUESTS = 2000;

/** The library user: `REQUESTS` GETs, `CONCURRENCY` at a time; halfway the clock jumps. */
const SCRIPT = `
import { createClient } from ${JSON.stringify(join(REPO, "src", "mod.ts"))};
let offset = 0;
const api = await createClient({ env: "dev", now: () => Date.now() + offset });
const first = await api.token();
let started = 0;
const failures = [];
async function worker() {
  while (started < ${REQUESTS}) {
    // Halfway: the token (3600 s) has 59 s left, less than its 60 s refresh margin.
    if (started++ === ${REQUESTS / 2}) offset = (3600 - 59) * 1000;
    try {
      const res = await api.fetch("/ping");
      if (res.status !== 200) failures.push(res.status);
      await res.arrayBuffer();
    } catch (err) {
      failures.push(String(err));
    }
  }
}
await Promise.all(Array.from({ length: ${CONCURRENCY} }, worker));
console.log(JSON.stringify({ first, last: await api.token(), failures }));
`;

Deno.test("200 concurrent requests while the token expires: one token request, no failure", async () => {
  await using idp = await startDevIdp();
  const seen: string[] = [];
  await using api = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      seen.push(req.headers.get("authorization") ?? "");
      return Response.json({ ok: true });
    },
  );
  const apiUrl = `http://127.0.0.1:${api.addr.port}`;
  await using box = await devSandbox(
    idp,
    // Opaque tokens: their expiry is the IdP's expires_in from the client's clock alone.
    serviceEnv(idp, "dev", {
      env: `base_url = "${apiUrl}"`,
      auth: `resource = "${idp.opaqueResource}"\nrefresh_margin = "60s"`,
    }),
  );
  const script = join(box.dir, "load.ts");
  await Deno.writeTextFile(script, SCRIPT);
  idp.stats.reset();
  const out = await runDeno(libraryScriptArgs(script, "--allow-net=127.0.0.1"), box);
  assertEquals(out.code, 0, out.stderr);
  const result = JSON.parse(out.stdout);
  assertEquals(result.failures, []);
  assertEquals(seen.length, REQUESTS);
  // The first token, then exactly one more when it neared its expiry.
  assertEquals(idp.stats.tokenRequests, 2);
  assert(result.first !== result.last, "a new token after the jump");
  const used = new Set(seen);
  assertEquals(used, new Set([`Bearer ${result.first}`, `Bearer ${result.last}`]));
  // Requests started after the jump use the new token: the old one is never seen after it.
  const switched = seen.indexOf(`Bearer ${result.last}`);
  assert(switched > 0 && seen.slice(switched + CONCURRENCY).every((a) => a.endsWith(result.last)));
});
