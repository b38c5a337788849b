/** TLS trust (ca_file, the OS store) and forward proxies, with the real program. */
import { join } from "../../src/util/path.ts";
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { devSandbox, devSecrets, serviceEnv } from "../helpers/dev_world.ts";
import { forwardProxy, serve } from "../helpers/servers.ts";
import { makePki, NEEDS_OPENSSL } from "../helpers/tls.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

const TLS_TEST =
  "an HTTPS API with a private CA is trusted only with ca_file (or the CA in the OS store)";

Deno.test({ name: TLS_TEST, ignore: ignoreUnless(TLS_TEST, NEEDS_OPENSSL) }, async (t) => {
  await using idp = await startDevIdp();
  await using box = await sandbox(devSecrets(idp));
  const pki = await makePki(box.dir);
  await using api = serve(
    (req) => new Response(`hello over tls, auth=${req.headers.has("authorization")}`),
    pki,
  );
  const toml = (extra: string) =>
    serviceEnv(idp, "tls", { env: `base_url = "${api.url}"\n${extra}` });
  await t.step("without ca_file: a TLS error, exit 5, with a hint", async () => {
    await box.writeConfig(toml(""));
    const r = await box.run(["request", "-e", "tls", "/"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /TLS|certificate/i);
    assertMatch(r.stderr, /hint: .*ca_file/);
  });
  await t.step("with ca_file (relative to the config file)", async () => {
    await Deno.copyFile(pki.caFile, join(box.home, "corp-ca.pem"));
    await box.writeConfig(toml('ca_file = "corp-ca.pem"'));
    const r = await box.run(["request", "-e", "tls", "/"]);
    assertEquals([r.code, r.stdout], [0, "hello over tls, auth=true"], r.stderr);
  });
  await t.step("with the CA in the OS store (SSL_CERT_FILE on Linux)", async () => {
    await box.writeConfig(toml(""));
    const r = await box.run(["request", "-e", "tls", "/"], { env: { SSL_CERT_FILE: pki.caFile } });
    assertEquals([r.code, r.stdout], [0, "hello over tls, auth=true"], r.stderr);
  });
  await t.step("an unreadable ca_file is a config error", async () => {
    await box.writeConfig(toml('ca_file = "missing.pem"'));
    const r = await box.run(["request", "-e", "tls", "/"]);
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /cannot read ca_file/);
  });
});

Deno.test("HTTP_PROXY: a forward proxy sees the requests; NO_PROXY bypasses it", async () => {
  await using idp = await startDevIdp();
  await using proxy = forwardProxy();
  await using box = await devSandbox(
    idp,
    serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` }),
  );
  const r = await box.run(["request", "-e", "dev", "/whoami"], {
    env: { HTTP_PROXY: proxy.url, NO_PROXY: "" },
  });
  assertEquals(r.code, 0, r.stderr);
  const seen = proxy.requests.map((x) => new URL(x.url).pathname);
  assertEquals(seen.includes("/whoami"), true, `proxy saw ${seen.join(", ")}`);
  assertEquals(seen.includes("/token"), true, "the token request went through the proxy too");
  const before = proxy.requests.length;
  const bypass = await box.run(["request", "-e", "dev", "/whoami"], {
    env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" },
  });
  assertEquals(bypass.code, 0, bypass.stderr);
  assertEquals(proxy.requests.length, before);
});
