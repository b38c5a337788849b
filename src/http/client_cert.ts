/**
 * The client certificate for mTLS (RFC 8705): read from the env's PEM files (or the key from a
 * variable), each file a regular file of at most 1 MiB, and checked before any request so a
 * missing file, a file that is not PEM or a key that does not belong to the certificate is a
 * config error naming the file. The key is a secret: no message ever shows it, and the file that
 * holds it must be private under the rule for lmi's own files (this user's, closed to group and
 * others: util/private_files.ts), as ssh requires of its keys.
 *
 * @module
 */
import { ConfigError, q } from "../errors.ts";
import type { ClientCertRef } from "../config/resolve.ts";
import { currentUid, distrust } from "../util/private_files.ts";
import { pemCertificates, readConfigPem } from "./pem.ts";
import { shellWord } from "../ui/text.ts";

/** A client certificate chain and its key, as PEM text, ready for `Deno.createHttpClient`. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const HINT = "client_cert_file and client_key_file name PEM files, relative to the config file";

/**
 * Read and check the env's client certificate and key; a ConfigError naming the file (or the
 * variable) when one is unreadable, not PEM, or the key does not match the certificate.
 */
export function loadClientCertificate(ref: ClientCertRef): ClientCertificate {
  const certText = readPemFile(ref.certFile, "client_cert_file");
  const chain = pemCertificates(certText);
  if (chain.length === 0) {
    throw new ConfigError(
      "CLIENT_CERT_INVALID",
      `client_cert_file ${q(ref.certFile)} holds no PEM certificate`,
      { hint: "give a file with a -----BEGIN CERTIFICATE----- block (the client certificate)" },
    );
  }
  const { key, what, file } = readKey(ref, certText);
  if (!PRIVATE_KEY.test(key)) {
    throw new ConfigError("CLIENT_KEY_INVALID", `${what} holds no PEM private key`, {
      hint: "give the certificate's private key as a -----BEGIN PRIVATE KEY----- block " +
        "(or EC / RSA PRIVATE KEY)",
    });
  }
  if (file) checkPrivate(file.path, file.name);
  const cert = chain.join("\n");
  try {
    Deno.createHttpClient({ cert, key }).close();
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const mismatch = /KeyMismatch|not be consistent/i.test(detail);
    throw new ConfigError(
      mismatch ? "CLIENT_KEY_MISMATCH" : "CLIENT_CERT_INVALID",
      mismatch
        ? `${what} does not match client_cert_file ${q(ref.certFile)}`
        : `cannot use client_cert_file ${q(ref.certFile)} with ${what}: ${detail}`,
      {
        hint: mismatch
          ? "give the private key the certificate was issued for"
          : "give an unencrypted PEM key (PKCS#8, EC or RSA) and its certificate",
        cause: err,
      },
    );
  }
  return { cert, key };
}

/** The key, what to call its source in messages, and the file it came from (not a variable). */
interface KeySource {
  key: string;
  what: string;
  file?: { path: string; name: string };
}

function readKey(ref: ClientCertRef, certText: string): KeySource {
  if (ref.key) {
    const what = `client_key_env variable ${ref.key.variable}`;
    if (!ref.key.value) {
      throw new ConfigError("SECRET_MISSING", `${what} is not set or empty`, {
        hint: `set ${ref.key.variable} to the client key (PEM), or use client_key_file`,
      });
    }
    return { key: ref.key.value, what };
  }
  if (ref.keyFile) {
    const what = `client_key_file ${q(ref.keyFile)}`;
    const key = readPemFile(ref.keyFile, "client_key_file");
    return { key, what, file: { path: ref.keyFile, name: what } };
  }
  return {
    key: PRIVATE_KEY.test(certText) ? certText : "",
    what: `client_cert_file ${q(ref.certFile)} (no client_key_file or client_key_env is set)`,
    file: {
      path: ref.certFile,
      name: `client_cert_file ${q(ref.certFile)}, which holds the private key`,
    },
  };
}

/**
 * Refuse the file the private key came from when another user owns it or group or others may
 * read it (`name`: how messages call it). It is followed when it is a link (as ssh does; mounted
 * secrets are links). No modes on Windows: nothing to check there, as for lmi's own files.
 */
function checkPrivate(path: string, name: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError("CLIENT_CERT_UNREADABLE", `cannot read ${name}: ${reason}`, {
      hint: `${HINT}; check the path`,
      cause: err,
    });
  }
  const why = distrust(info, "file");
  if (why === undefined) return;
  const uid = currentUid();
  const yours = uid === null || info.uid === null || info.uid === uid;
  throw new ConfigError("CLIENT_KEY_UNSAFE", `refusing ${name}: ${why}`, {
    hint: yours
      ? `chmod 600 ${shellWord(path)}`
      : `use a copy of your own: cp ${shellWord(path)} <copy> && chmod 600 <copy>`,
  });
}

function readPemFile(path: string, key: string): string {
  return readConfigPem(path, "CLIENT_CERT_UNREADABLE", key, `${HINT}; check the path`);
}
