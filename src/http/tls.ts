/**
 * Trust: Deno trusts Mozilla's CA list; lmi adds the operating system's trusted CAs (as gh, az
 * and kubectl do, so a corporate CA installed on the machine just works) and the env's
 * `ca_file`. The result is a Deno HttpClient used for the env's API and token endpoint; with a
 * client certificate (mTLS, RFC 8705) the client presents it when a server asks.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, q } from "../errors.ts";
import { readSmallFile } from "../config/small_file.ts";
import type { ClientCertRef } from "../config/resolve.ts";
import { loadClientCertificate } from "./client_cert.ts";
import { pemCertificates, readConfigPem } from "./pem.ts";

export { pemCertificates };

/** Where Linux distributions keep the system CA bundle (OpenSSL's SSL_CERT_FILE wins). */
export const LINUX_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Alpine
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // Alpine, macOS (LibreSSL)
];

/** The OS's trusted CA certificates, as PEM blocks (empty when none can be read). */
export async function systemCertificates(
  deps: { env(name: string): string | undefined; os: typeof Deno.build.os },
): Promise<string[]> {
  const explicit = deps.env("SSL_CERT_FILE");
  if (explicit) return readPem(explicit);
  switch (deps.os) {
    case "darwin":
      return pemCertificates(
        await commandOutput("security", [
          "find-certificate",
          "-a",
          "-p",
          "/System/Library/Keychains/SystemRootCertificates.keychain",
          "/Library/Keychains/System.keychain",
        ]),
      );
    case "windows":
      return pemCertificates(
        await commandOutput("powershell.exe", [
          "-NoProfile",
          "-NonInteractive",
          "-Command",
          "Get-ChildItem Cert:\\LocalMachine\\Root,Cert:\\CurrentUser\\Root | ForEach-Object { " +
          "'-----BEGIN CERTIFICATE-----'; [Convert]::ToBase64String($_.RawData, 'InsertLineBreaks'); " +
          "'-----END CERTIFICATE-----' }",
        ]),
      );
    default:
      for (const path of LINUX_BUNDLES) {
        const certs = readPem(path);
        if (certs.length > 0) return certs;
      }
      return [];
  }
}

/** The largest system CA bundle read (Debian's is about 200 KB). */
const MAX_SYSTEM_BUNDLE_BYTES = 16 * 1024 * 1024;

function readPem(path: string): string[] {
  try {
    const file = readSmallFile(path, MAX_SYSTEM_BUNDLE_BYTES);
    return "text" in file ? pemCertificates(file.text) : [];
  } catch {
    return [];
  }
}

async function commandOutput(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : "";
  } catch {
    return "";
  }
}

/**
 * The env's extra CAs from ca_file (a regular file of at most 1 MiB); a ConfigError when the
 * file is unusable.
 */
export function caFileCertificates(path: string): string[] {
  const text = readConfigPem(
    path,
    "CA_FILE_UNREADABLE",
    "ca_file",
    "ca_file names a PEM file of CA certificates, relative to the config file; check the path",
  );
  const certs = pemCertificates(text);
  if (certs.length === 0) {
    throw new ConfigError("CA_FILE_INVALID", `ca_file ${q(path)} holds no PEM certificate`, {
      hint: "give a file with -----BEGIN CERTIFICATE----- blocks",
    });
  }
  return certs;
}

/** What building a trusting fetch needs from the deps object. */
export type TrustDeps = Pick<Deps, "fetch" | "env" | "os">;

/** The variables that can send an `http://` request through a proxy, which may speak TLS. */
const HTTP_PROXY_VARS = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/**
 * A fetch that trusts the OS store and `caFile` on top of Deno's defaults. The HttpClient is
 * built on first use (reading the OS store costs a few milliseconds, which the warm token path
 * never pays). Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured by Deno's client.
 * The client certificate, when given, is read and checked at once (a ConfigError naming the file).
 *
 * A plain `http://` request (a loopback API, say) involves no TLS unless a proxy carries it, so
 * while no HTTP proxy is set and no client has been built it goes out through `deps.fetch` as it
 * is: neither the OS store nor the client is needed for it.
 */
export function trustingFetch(
  deps: TrustDeps,
  caFile: string | undefined,
  clientCert?: ClientCertRef,
): typeof globalThis.fetch {
  let client: Promise<Deno.HttpClient> | undefined;
  /** The client once built: later requests go straight through. */
  let built: Deno.HttpClient | undefined;
  const extra = caFile ? caFileCertificates(caFile) : [];
  const identity = clientCert ? loadClientCertificate(clientCert) : {};
  const send = (
    input: RequestInfo | URL,
    init: RequestInit | undefined,
    with_: Deno.HttpClient,
  ) => {
    try {
      return deps.fetch(input, { ...init, client: with_ } as unknown as RequestInit);
    } catch (err) {
      return Promise.reject(err); // as from an async function
    }
  };
  /** Whether an http:// request may go through a proxy (then it takes the client too). */
  let httpProxied: boolean | undefined;
  return (input, init) => {
    if (built) return send(input, init, built);
    if (isPlainHttp(input) && !(httpProxied ??= HTTP_PROXY_VARS.some((name) => deps.env(name)))) {
      try {
        return deps.fetch(input, init);
      } catch (err) {
        return Promise.reject(err); // as from an async function
      }
    }
    client ??= systemCertificates(deps).then((system) =>
      built = Deno.createHttpClient({ caCerts: [...system, ...extra], ...identity })
    );
    return client.then((c) => send(input, init, c));
  };
}

function isPlainHttp(input: RequestInfo | URL): boolean {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  return href.startsWith("http:");
}

const built = new WeakMap<typeof globalThis.fetch, Map<string, typeof globalThis.fetch>>();

/**
 * The fetch for an env's IdP and API traffic: `deps.fetch` (the real one, or the one a library
 * user gave) trusting the OS store and the env's `ca_file`, presenting `clientCert` when given.
 * The one place the trust-aware fetch is built, from the final deps object; one per fetch, CA
 * file and client certificate (its paths, or the key's variable) in a process.
 */
export function envFetch(
  deps: TrustDeps,
  caFile: string | undefined,
  clientCert?: ClientCertRef,
): typeof globalThis.fetch {
  let byCa = built.get(deps.fetch);
  if (!byCa) built.set(deps.fetch, byCa = new Map());
  const key = JSON.stringify([
    caFile ?? "",
    clientCert?.certFile ?? "",
    clientCert?.keyFile ?? "",
    clientCert?.key?.variable ?? "",
  ]);
  let fetch = byCa.get(key);
  if (!fetch) byCa.set(key, fetch = trustingFetch(deps, caFile, clientCert));
  return fetch;
}
