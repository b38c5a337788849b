/**
 * PEM files named by the config (ca_file, client certificates and keys): found in one pass, read
 * as bounded regular files, and a ConfigError naming the file when they cannot be.
 *
 * @module
 */
import { ConfigError, q } from "../errors.ts";
import { readSmallFile } from "../config/small_file.ts";

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";

/** Certificates (PEM blocks) in `text`, found in one pass (no regex backtracking). */
export function pemCertificates(text: string): string[] {
  const certs: string[] = [];
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const end = text.indexOf(END, at + BEGIN.length + 1);
    if (end < 0) break;
    certs.push(text.slice(at, end + END.length));
    at = text.indexOf(BEGIN, end + END.length);
  }
  return certs;
}

/** The text of a PEM file the config names (`what`: "ca_file", "client_cert_file" …). */
export function readConfigPem(path: string, code: string, what: string, hint: string): string {
  let file;
  try {
    file = readSmallFile(path);
  } catch (err) {
    file = { refused: err instanceof Error ? err.message : String(err) };
  }
  if ("refused" in file) {
    throw new ConfigError(code, `cannot read ${what} ${q(path)}: ${file.refused}`, { hint });
  }
  return file.text;
}
