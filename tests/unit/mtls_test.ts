/** mTLS (RFC 8705) pieces without a network: config, the certificate check, aliases, fingerprint. */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import type { LoadedConfig } from "../../src/config/load.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { registerEnvSecrets } from "../../src/config/env.ts";
import { describeEnv } from "../../src/cli/env_show.ts";
import { loadClientCertificate } from "../../src/http/client_cert.ts";
import { withMtlsAliases } from "../../src/oauth/client.ts";
import { tlsClientAuth } from "../../src/oauth/client_auth.ts";
import { fingerprint } from "../../src/tokens/token_set.ts";
import { ConfigError } from "../../src/errors.ts";
import { Redactor } from "../../src/ui/redact.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { makeClientCerts, makePki, NEEDS_OPENSSL } from "../helpers/tls.ts";
import { ignoreUnless, POSIX } from "../helpers/components.ts";

const CONFIG = "/cfg/lmi.toml";

async function envFrom(auth: string, vars: Record<string, string> = {}) {
  const toml = `[envs.m.auth]\ntype = "client_credentials"\nclient_id = "c"\n${auth}`;
  const config: LoadedConfig = {
    path: CONFIG,
    origin: "flag",
    dotenvDirs: ["/cfg"],
    file: await parseConfigText(toml, CONFIG),
  };
  return resolveNamedEnv(fakeDeps({ env: vars, cwd: "/cfg" }), config, "m");
}

Deno.test("mTLS config: keys, paths relative to the config file, the key as a secret", async (t) => {
  await t.step("tls_client_auth with files: no client secret is asked for", async () => {
    const env = await envFrom(
      'client_auth = "tls_client_auth"\nclient_cert_file = "c.pem"\nclient_key_file = "k/c.key"\nmtls_api = true\n',
    );
    assertEquals(env.auth.clientAuth, "tls_client_auth");
    assertEquals(env.auth.clientCert, { certFile: "/cfg/c.pem", keyFile: "/cfg/k/c.key" });
    assertEquals(env.auth.mtlsApi, true);
    assertEquals(env.auth.clientSecret, undefined);
  });
  await t.step("client_key_env: registered for redaction, shown as set", async () => {
    const env = await envFrom(
      'client_auth = "self_signed_tls_client_auth"\nclient_cert_file = "c.pem"\nclient_key_env = "K"\n',
      { K: "-----BEGIN PRIVATE KEY-----\nsecret-key-body\n-----END PRIVATE KEY-----" },
    );
    const redactor = new Redactor();
    registerEnvSecrets(redactor, env);
    assert(!redactor.redact(`x ${env.auth.clientCert!.key!.value} y`).includes("secret-key-body"));
    const rows = Object.fromEntries(describeEnv(env).map((r) => [r.key, r.value]));
    assertEquals(rows["auth.client_cert_file"], "/cfg/c.pem");
    assertEquals(rows["auth.client_key"], "set (K)");
    assertEquals(rows["auth.mtls_api"], false);
    assert(!JSON.stringify(describeEnv(env)).includes("secret-key-body"));
  });
  await t.step("inconsistent settings are config errors", async () => {
    for (
      const [auth, message] of [
        ['client_cert_file = "c.pem"\nclient_key_file = "k"\nclient_key_env = "K"\n', /both/],
        ["mtls_api = true\n", /mtls_api is set but client_cert_file is not/],
        ['client_key_file = "k"\n', /client_key_file is set but client_cert_file is not/],
      ] as const
    ) {
      const err = await envFrom(auth).then(() => undefined, (e) => e);
      assert(err instanceof ConfigError, auth);
      assertMatch(err.message, message);
    }
  });
  await t.step("a literal client_key points at client_key_env", async () => {
    const toml = '[envs.m.auth]\nclient_key = "-----BEGIN PRIVATE KEY-----"\n';
    const err = await parseConfigText(toml, CONFIG).then(() => undefined, (e) => e);
    assert(err instanceof ConfigError);
    assertMatch(err.hint ?? "", /client_key_env/);
  });
});

Deno.test("mTLS fingerprint: covers the certificate's path, never the key", async () => {
  const a = await envFrom('client_cert_file = "a.pem"\nclient_key_env = "K"\n', { K: "one" });
  const b = await envFrom('client_cert_file = "a.pem"\nclient_key_env = "K"\n', { K: "two" });
  const c = await envFrom('client_cert_file = "b.pem"\nclient_key_env = "K"\n', { K: "one" });
  const none = await envFrom("");
  assertEquals(await fingerprint(a.auth), await fingerprint(b.auth));
  assert(await fingerprint(a.auth) !== await fingerprint(c.auth));
  assert(await fingerprint(a.auth) !== await fingerprint(none.auth));
});

Deno.test("mtls_endpoint_aliases replace the token, revocation and device endpoints", () => {
  const log = testLogger(fakeDeps());
  const metadata = {
    issuer: "https://idp.example",
    token_endpoint: "https://idp.example/token",
    revocation_endpoint: "https://idp.example/revoke",
    device_authorization_endpoint: "https://idp.example/device",
    mtls_endpoint_aliases: {
      token_endpoint: "https://mtls.idp.example/token",
      revocation_endpoint: "https://mtls.idp.example/revoke",
      userinfo_endpoint: "https://mtls.idp.example/userinfo",
    },
  };
  const out = withMtlsAliases(metadata, log);
  assertEquals(out.token_endpoint, "https://mtls.idp.example/token");
  assertEquals(out.revocation_endpoint, "https://mtls.idp.example/revoke");
  assertEquals(out.device_authorization_endpoint, "https://idp.example/device");
  assertEquals(withMtlsAliases({ issuer: "x", token_endpoint: "t" }, log).token_endpoint, "t");
  assertThrows(() =>
    withMtlsAliases({
      ...metadata,
      mtls_endpoint_aliases: { token_endpoint: "http://mtls.idp.example/token" },
    }, log)
  );
});

Deno.test("tls_client_auth sends the client_id and no secret", () => {
  const body = new URLSearchParams();
  const headers = new Headers();
  tlsClientAuth()({} as never, { client_id: "svc" } as never, body, headers);
  assertEquals([...body], [["client_id", "svc"]]);
  assertEquals([...headers], []);
});

const CERT_TEST = "client certificate check: unreadable, not PEM, mismatched, combined file";
Deno.test({ name: CERT_TEST, ignore: ignoreUnless(CERT_TEST, NEEDS_OPENSSL) }, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-mtls-" });
  try {
    await makePki(dir);
    const c = await makeClientCerts(dir);
    await t.step("a certificate and its key", () => {
      const loaded = loadClientCertificate({ certFile: c.clientCert, keyFile: c.clientKey });
      assertMatch(loaded.cert, /BEGIN CERTIFICATE/);
    });
    await t.step("one file holding both", async () => {
      const both = join(dir, "both.pem");
      await Deno.writeTextFile(
        both,
        (await Deno.readTextFile(c.clientCert)) + (await Deno.readTextFile(c.clientKey)),
        { mode: 0o600 },
      );
      loadClientCertificate({ certFile: both });
    });
    const cases: Array<[string, Parameters<typeof loadClientCertificate>[0], RegExp]> = [
      ["missing", { certFile: join(dir, "nope.pem") }, /cannot read client_cert_file/],
      ["a folder", { certFile: dir }, /not a regular file/],
      ["not PEM", { certFile: c.clientKey }, /holds no PEM certificate/],
      ["no key anywhere", { certFile: c.clientCert }, /holds no PEM private key/],
      [
        "mismatched",
        { certFile: c.clientCert, keyFile: c.selfSignedKey },
        /client_key_file ".*self\.key" does not match client_cert_file/,
      ],
      [
        "key variable unset",
        { certFile: c.clientCert, key: { variable: "K" } },
        /client_key_env variable K is not set/,
      ],
    ];
    for (const [what, ref, message] of cases) {
      await t.step(what, () => {
        const err = assertThrows(() => loadClientCertificate(ref), ConfigError);
        assertMatch(err.message, message);
        assertEquals(err.exitCode, 3);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const PRIVATE_KEY_FILE = "client key file: refused when others can read it or it is not yours";
Deno.test({
  name: PRIVATE_KEY_FILE,
  ignore: ignoreUnless(PRIVATE_KEY_FILE, NEEDS_OPENSSL, {
    os: POSIX,
    why: "file modes and owners are POSIX (on Windows the check is skipped, as for lmi's files)",
  }),
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-mtls-key-" });
  try {
    await makePki(dir);
    const c = await makeClientCerts(dir);
    const keyText = await Deno.readTextFile(c.clientKey);
    const keyFile = async (name: string, mode: number) => {
      const path = join(dir, name);
      await Deno.writeTextFile(path, keyText, { mode });
      await Deno.chmod(path, mode);
      return path;
    };
    /** The error for client_key_file `path` beside the good certificate. */
    const refusedKey = (path: string) =>
      assertThrows(
        () => loadClientCertificate({ certFile: c.clientCert, keyFile: path }),
        ConfigError,
      );
    await t.step("mode 600 (and a link to such a file): used", async () => {
      assertEquals((await Deno.stat(c.clientKey)).mode! & 0o777, 0o600);
      loadClientCertificate({ certFile: c.clientCert, keyFile: c.clientKey });
      const link = join(dir, "link.key");
      await Deno.symlink(c.clientKey, link);
      loadClientCertificate({ certFile: c.clientCert, keyFile: link });
      loadClientCertificate({ certFile: c.clientCert, keyFile: await keyFile("r.key", 0o400) });
    });
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      const octal = mode.toString(8);
      await t.step(
        `mode ${octal}: exit 3 naming the file and its mode, hint chmod 600`,
        async () => {
          const path = await keyFile(`open-${octal}.key`, mode);
          const err = refusedKey(path);
          assertEquals(err.exitCode, 3);
          assertEquals(
            err.message,
            `refusing client_key_file "${path}": its mode ${octal} lets others read it`,
          );
          assertEquals(err.hint, `chmod 600 ${path}`);
          assert(!err.message.includes("\n"), "one line");
        },
      );
    }
    await t.step("a link to a key others can read: refused, naming the link", async () => {
      const link = join(dir, "open-link.key");
      await Deno.symlink(await keyFile("open-target.key", 0o644), link);
      const err = refusedKey(link);
      assertEquals(
        err.message,
        `refusing client_key_file "${link}": its mode 644 lets others read it`,
      );
    });
    await t.step("the key in client_cert_file, open to others: refused", async () => {
      const both = join(dir, "open-both.pem");
      await Deno.writeTextFile(both, (await Deno.readTextFile(c.clientCert)) + keyText);
      await Deno.chmod(both, 0o644);
      const err = assertThrows(() => loadClientCertificate({ certFile: both }), ConfigError);
      assertEquals(
        err.message,
        `refusing client_cert_file "${both}", which holds the private key: its mode 644 lets ` +
          "others read it",
      );
      assertEquals(err.hint, `chmod 600 ${both}`);
    });
    await t.step("a path with a space: the hint quotes it", async () => {
      const path = await keyFile("open key.pem", 0o644);
      const err = refusedKey(path);
      assertEquals(err.hint, `chmod 600 '${path}'`);
    });
    const OTHER_USER = "a key file of another user (uid 65534): refused";
    await t.step({
      name: OTHER_USER,
      ignore: ignoreUnless(OTHER_USER, {
        probe: () => Deno.uid() === 0 ? undefined : "needs root, to give a file to another user",
      }),
      fn: async () => {
        const path = await keyFile("theirs.key", 0o600);
        await Deno.chown(path, 65534, 65534);
        const err = refusedKey(path);
        assertEquals(err.exitCode, 3);
        assertEquals(
          err.message,
          `refusing client_key_file "${path}": it belongs to another user (uid 65534)`,
        );
        assertEquals(err.hint, `use a copy of your own: cp ${path} <copy> && chmod 600 <copy>`);
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
