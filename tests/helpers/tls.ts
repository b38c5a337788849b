/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1, made with openssl;
 * on request, client certificates for mTLS too (one signed by the CA, one self-signed).
 */
import { join } from "../../src/util/path.ts";
import type { Needs } from "./components.ts";

/** What makePki and makeClientCerts need (for ignoreUnless). */
export const NEEDS_OPENSSL: Needs = { commands: ["openssl"] };

export interface TestPki {
  caFile: string;
  cert: string;
  key: string;
}

/** Client certificates for mTLS tests: PEM file paths in the PKI's folder. */
export interface ClientPki {
  /** Signed by the test CA, subject `/CN=<cn>`, extendedKeyUsage clientAuth. */
  clientCert: string;
  clientKey: string;
  /** Self-signed (`self_signed_tls_client_auth`), subject `/CN=<cn>-self`. */
  selfSignedCert: string;
  selfSignedKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Create a CA and a certificate for 127.0.0.1/localhost signed by it, in `dir`. */
export async function makePki(dir: string): Promise<TestPki> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=lmi test CA",
  ], dir);
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ], dir);
  await Deno.writeTextFile(
    join(dir, "ext.cnf"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ], dir);
  return {
    caFile: join(dir, "ca.pem"),
    cert: await Deno.readTextFile(join(dir, "server.pem")),
    key: await Deno.readTextFile(join(dir, "server.key")),
  };
}

/** Make client certificates in `dir`, where {@link makePki} made the CA (ca.pem, ca.key). */
export async function makeClientCerts(dir: string, cn = "svc-mtls"): Promise<ClientPki> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(
    ["req", ...ec, "-keyout", "client.key", "-out", "client.csr", "-subj", `/CN=${cn}`],
    dir,
  );
  await Deno.writeTextFile(
    join(dir, "client-ext.cnf"),
    "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "client.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "client.pem",
    "-days",
    "2",
    "-extfile",
    "client-ext.cnf",
  ], dir);
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${cn}-self`,
  ], dir);
  return {
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
    selfSignedCert: join(dir, "self.pem"),
    selfSignedKey: join(dir, "self.key"),
  };
}
