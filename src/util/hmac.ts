/**
 * HMAC-SHA-256 (RFC 2104, FIPS 198-1), synchronous, on the SHA-256 of src/util/sha256.ts: the
 * MACs the warm `lmi auth token` path checks on every run (the parsed-config cache's entries and
 * the signature memo, under the per-user key of src/util/cache_key.ts). It gives the same bytes
 * as WebCrypto's HMAC with SHA-256, which the warm path must not load (its first call costs
 * 2.7 ms: see sha256.ts); a test checks it against the RFC 4231 vectors and against WebCrypto on
 * random keys and messages.
 *
 * @module
 */
import { sha256 } from "./sha256.ts";

/** SHA-256's block size in bytes: keys longer than this are hashed first (RFC 2104 §2). */
const BLOCK = 64;

const encoder = new TextEncoder();

/** HMAC-SHA-256 of `message` under `key` (32 bytes): H((K ^ opad) || H((K ^ ipad) || message)). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = key.length > BLOCK ? sha256(key) : key;
  const inner = new Uint8Array(BLOCK + message.length);
  const outer = new Uint8Array(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const byte = k[i] ?? 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  inner.set(message, BLOCK);
  outer.set(sha256(inner), BLOCK);
  return sha256(outer);
}

/** HMAC-SHA-256 of `text` (UTF-8) under `key`, in lower-case hex. */
export function hmacSha256Hex(key: Uint8Array, text: string): string {
  return toHex(hmacSha256(key, encoder.encode(text)));
}

/**
 * Whether two MACs (hex text) are equal, comparing every character whatever the first
 * difference (a MAC check should not tell, by its time, how much of a guess was right).
 */
export function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Bytes as lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}
