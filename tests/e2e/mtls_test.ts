/**
 * mTLS (RFC 8705) with the real program: tls_client_auth and self_signed_tls_client_auth at an
 * HTTPS token endpoint found through `mtls_endpoint_aliases`, certificate-bound tokens
 * (`cnf.x5t#S256`) at an API that checks the binding, and bad certificates and keys.
 *
 * The server is `node:https` inside the test process: `Deno.serve` cannot ask for client
 * certificates, while `createServer({ requestCert: true, ca })` does and exposes the presented
 * certificate (`getPeerCertificate().raw`, `authorized`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { makeClientCerts, makePki, NEEDS_OPENSSL } from "../helpers/tls.ts";
import { ignoreUnless } from "../helpers/components.ts";

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");

async function thumbprint(der: Uint8Array): Promise<string> {
  return b64url(await crypto.subtle.digest("SHA-256", der as BufferSource));
}

interface MtlsServer {
  url: string;
  /** Token requests seen: the path, client_id, whether a secret came, the certificate's CN. */
  tokenRequests: Array<{ path: string; clientId: string | null; secret: boolean; cn?: string }>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * An IdP and API on one HTTPS port asking for client certificates. Discovery lists `/token` and
 * an mTLS alias `/mtls/token`; only the alias issues tokens. `svc-mtls` must present a
 * certificate issued by the CA with that CN, `svc-mtls-self` the registered self-signed one.
 * `/api/whoami` wants a token bound to the certificate presented on that connection.
 */
async function mtlsServer(
  pki: { cert: string; key: string; caFile: string },
  selfSignedThumbprint: string,
): Promise<MtlsServer> {
  const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  const tokenRequests: MtlsServer["tokenRequests"] = [];
  let base = "";
  const json = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const raw = peer && "raw" in peer && peer.raw ? new Uint8Array(peer.raw) : undefined;
    const x5t = raw ? await thumbprint(raw) : undefined;
    const path = new URL(req.url ?? "/", base).pathname;
    let text = "";
    for await (const chunk of req) text += chunk;
    if (path === "/.well-known/openid-configuration") {
      return json(res, 200, {
        issuer: base,
        token_endpoint: `${base}/token`,
        token_endpoint_auth_methods_supported: ["tls_client_auth", "self_signed_tls_client_auth"],
        mtls_endpoint_aliases: { token_endpoint: `${base}/mtls/token` },
      });
    }
    if (path === "/token" || path === "/mtls/token") {
      const form = new URLSearchParams(text);
      const clientId = form.get("client_id");
      const cn = (peer?.subject as { CN?: string } | undefined)?.CN;
      tokenRequests.push({
        path,
        clientId,
        secret: form.has("client_secret") || req.headers.authorization !== undefined,
        ...(cn ? { cn } : {}),
      });
      if (path === "/token") {
        return json(res, 400, {
          error: "invalid_request",
          error_description: "use the mTLS endpoint alias",
        });
      }
      const ok = clientId === "svc-mtls"
        ? socket.authorized && cn === "svc-mtls"
        : clientId === "svc-mtls-self" && x5t === selfSignedThumbprint;
      if (!ok || !x5t) {
        return json(res, 401, {
          error: "invalid_client",
          error_description: "client certificate required",
        });
      }
      const now = Math.floor(Date.now() / 1000);
      const head = b64url(new TextEncoder().encode(JSON.stringify({ alg: "HS256" })));
      const body = b64url(
        new TextEncoder().encode(
          JSON.stringify({ sub: clientId, iat: now, exp: now + 300, cnf: { "x5t#S256": x5t } }),
        ),
      );
      const sig = b64url(
        await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(`${head}.${body}`)),
      );
      return json(res, 200, {
        access_token: `${head}.${body}.${sig}`,
        token_type: "Bearer",
        expires_in: 300,
      });
    }
    if (path === "/api/whoami") {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const [head = "", body = "", sig = ""] = token.split(".");
      const sigBytes = Uint8Array.from(
        atob(sig.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(sig.length / 4) * 4, "=")),
        (c) => c.charCodeAt(0),
      );
      const valid = token !== "" && await crypto.subtle.verify(
        "HMAC",
        hmac,
        sigBytes,
        new TextEncoder().encode(`${head}.${body}`),
      );
      if (!valid) return json(res, 401, { error: "invalid_token" });
      const claims = JSON.parse(
        atob(
          body.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(body.length / 4) * 4, "="),
        ),
      );
      if (!x5t || claims.cnf?.["x5t#S256"] !== x5t) {
        return json(res, 401, { error: "invalid_token", error_description: "not bound" }, {
          "www-authenticate": 'Bearer error="invalid_token"',
        });
      }
      return json(res, 200, { sub: claims.sub, bound: true });
    }
    json(res, 404, { error: "not_found" });
  };
  const server = createServer({
    cert: pki.cert,
    key: pki.key,
    ca: await Deno.readTextFile(pki.caFile),
    requestCert: true,
    rejectUnauthorized: false, // the handlers decide (self-signed certificates are allowed)
  }, (req, res) => {
    handle(req, res).catch((err) => json(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: base,
    tokenRequests,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

const MTLS_TEST =
  "mTLS: tls_client_auth at the mTLS alias, certificate-bound tokens at the API with mtls_api";

Deno.test({
  name: MTLS_TEST,
  ignore: ignoreUnless(MTLS_TEST, NEEDS_OPENSSL),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  await using box = await sandbox();
  const pki = await makePki(box.dir);
  const clients = await makeClientCerts(box.dir);
  const selfDer = await derOf(clients.selfSignedCert);
  await using idp = await mtlsServer(pki, await thumbprint(selfDer));
  for (
    const [from, to] of [
      [pki.caFile, "ca.pem"],
      [clients.clientCert, "client.pem"],
      [clients.clientKey, "client.key"],
      [clients.selfSignedCert, "self.pem"],
      [clients.selfSignedKey, "self.key"],
    ] as const
  ) await Deno.copyFile(from, join(box.home, to));
  await Deno.writeTextFile(join(box.home, "not-pem.pem"), "hello, not a certificate\n");
  await Deno.copyFile(clients.clientKey, join(box.home, "open.key"));
  await Deno.chmod(join(box.home, "open.key"), 0o644);
  const config = (auth: string, clientId = "svc-mtls") => `
[envs.mtls]
base_url = "${idp.url}/api"
ca_file = "ca.pem"

[envs.mtls.auth]
type = "client_credentials"
issuer = "${idp.url}"
client_id = "${clientId}"
verify_access_token = "never"
${auth}
`;
  const tls = 'client_auth = "tls_client_auth"\nclient_cert_file = "client.pem"\n';

  await t.step("tls_client_auth: a token from the alias, client_id and no secret", async () => {
    await box.writeConfig(config(`${tls}client_key_file = "client.key"\n`));
    const r = await box.run(["auth", "token", "-e", "mtls"]);
    assertEquals(r.code, 0, r.stderr);
    const claims = JSON.parse(
      atob(r.stdout.trim().split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
    );
    assertEquals(claims.cnf["x5t#S256"], await thumbprint(await derOf(clients.clientCert)));
    assertEquals(idp.tokenRequests.at(-1), {
      path: "/mtls/token",
      clientId: "svc-mtls",
      secret: false,
      cn: "svc-mtls",
    });
    assert(!idp.tokenRequests.some((x) => x.path === "/token"), "the alias is used");
  });

  await t.step("lmi request with mtls_api = true: the bound token is accepted", async () => {
    await box.writeConfig(config(`${tls}client_key_file = "client.key"\nmtls_api = true\n`));
    const r = await box.run(["request", "-e", "mtls", "/whoami"]);
    assertEquals([r.code, JSON.parse(r.stdout)], [0, { sub: "svc-mtls", bound: true }], r.stderr);
  });

  await t.step("without mtls_api the API sees no certificate and refuses the token", async () => {
    await box.writeConfig(config(`${tls}client_key_file = "client.key"\n`));
    const r = await box.run(["request", "-e", "mtls", "/whoami"]);
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, /401/);
  });

  await t.step("the key in a variable (client_key_env): works, never shown", async () => {
    const key = await Deno.readTextFile(clients.clientKey);
    await box.writeConfig(config(`${tls}client_key_env = "MTLS_KEY"\nmtls_api = true\n`));
    const r = await box.run(["request", "-e", "mtls", "/whoami", "-vv"], {
      env: { MTLS_KEY: key },
    });
    assertEquals(r.code, 0, r.stderr);
    const show = await box.run(["env", "show", "mtls"], { env: { MTLS_KEY: key } });
    assertEquals(show.code, 0, show.stderr);
    assertMatch(show.stdout, /auth\.client_key\s+set \(MTLS_KEY\)/);
    assertMatch(show.stdout, /auth\.client_cert_file\s+.*client\.pem/);
    assertMatch(show.stdout, /auth\.mtls_api\s+true/);
    const body = key.split("\n")[1]!;
    for (const out of [r.stdout, r.stderr, show.stdout, show.stderr]) {
      assert(!out.includes(body), "the key never appears");
    }
  });

  await t.step(
    "self_signed_tls_client_auth with a registered self-signed certificate",
    async () => {
      await box.writeConfig(config(
        'client_auth = "self_signed_tls_client_auth"\nclient_cert_file = "self.pem"\n' +
          'client_key_file = "self.key"\nmtls_api = true\n',
        "svc-mtls-self",
      ));
      const r = await box.run(["request", "-e", "mtls", "/whoami"]);
      assertEquals([r.code, JSON.parse(r.stdout)], [0, {
        sub: "svc-mtls-self",
        bound: true,
      }], r.stderr);
    },
  );

  const bad: Array<[string, string, RegExp]> = [
    [
      "a missing certificate file",
      'client_auth = "tls_client_auth"\nclient_cert_file = "missing.pem"\nclient_key_file = "client.key"\n',
      /cannot read client_cert_file ".*missing\.pem"/,
    ],
    [
      "a key that does not match the certificate",
      `${tls}client_key_file = "self.key"\n`,
      /client_key_file ".*self\.key" does not match client_cert_file ".*client\.pem"/,
    ],
    [
      "a certificate file that is not PEM",
      'client_auth = "tls_client_auth"\nclient_cert_file = "not-pem.pem"\nclient_key_file = "client.key"\n',
      /client_cert_file ".*not-pem\.pem" holds no PEM certificate/,
    ],
    [
      "a key file that holds a certificate",
      `${tls}client_key_file = "client.pem"\n`,
      /client_key_file ".*client\.pem" holds no PEM private key/,
    ],
    [
      "tls_client_auth without a certificate",
      'client_auth = "tls_client_auth"\n',
      /needs a client certificate/,
    ],
  ];
  if (Deno.build.os !== "windows") { // no file modes on Windows: the check is skipped there
    bad.push([
      "a key file others can read",
      `${tls}client_key_file = "open.key"\n`,
      /^lmi: error: refusing client_key_file ".*open\.key": its mode 644 lets others read it\nhint: chmod 600 .*open\.key\n$/,
    ]);
  }
  for (const [what, auth, message] of bad) {
    await t.step(`${what}: exit 3`, async () => {
      await box.writeConfig(config(auth));
      const r = await box.run(["auth", "token", "-e", "mtls", "--force"]);
      assertEquals(r.code, 3, r.stderr);
      assertMatch(r.stderr, message);
    });
  }
});

async function derOf(pemFile: string): Promise<Uint8Array> {
  const pem = await Deno.readTextFile(pemFile);
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
