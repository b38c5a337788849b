/**
 * Redaction of secrets from everything lmi prints for people (stderr, logs, error messages).
 *
 * Two layers: exact values lmi knows are secret (client secrets, passwords, tokens it handled),
 * registered as they are read or received; and patterns that catch secrets lmi never saw by value
 * (JWTs, `Authorization` / `Cookie` header values, sensitive form and JSON fields).
 *
 * @module
 */

export const REDACTED = "[REDACTED]";

const SENSITIVE_KEYS = [
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "password",
  "client_assertion",
  "assertion",
  "code_verifier",
  "device_code",
  "code",
  "subject_token",
  "actor_token",
  "private_key",
  "token",
];
const KEY_ALT = SENSITIVE_KEYS.join("|");

const PATTERNS: Array<[RegExp, string]> = [
  // JWT / JWS / JWE compact serialisations.
  [
    /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g,
    REDACTED,
  ],
  // Header lines: Authorization, Proxy-Authorization, Cookie, Set-Cookie.
  [
    /\b((?:proxy-)?authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)[^\r\n"']+/gi,
    `$1$2${REDACTED}`,
  ],
  // Auth schemes written without a header name.
  [/\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // JSON fields: "access_token": "…" (to the end of the text when the string is cut off)
  [new RegExp(`("(?:${KEY_ALT})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"?`, "gi"), `$1"${REDACTED}"`],
  // Form / query fields: refresh_token=…
  [new RegExp(`(^|[?&\\s])((?:${KEY_ALT})=)[^&\\s"']+`, "gi"), `$1$2${REDACTED}`],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
];

/**
 * The fields of a JSON answer whose string values are registered as secrets, so they are removed
 * wherever they appear: the sensitive keys but `code`, which error answers use for error codes
 * (a registered value is removed from every message, not only from its field).
 */
const ANSWER_SECRET_KEYS: ReadonlySet<string> = new Set(SENSITIVE_KEYS.filter((k) => k !== "code"));

/** Remembers secret values and removes them, and secret-looking patterns, from text. */
export class Redactor {
  #values = new Set<string>();
  #sorted: string[] | undefined;

  /** Register a secret value (and its URL- and form-encoded forms). Short values are ignored. */
  add(value: string | undefined): void {
    if (value === undefined || value.length < 4) return;
    this.#values.add(value);
    this.#sorted = undefined;
  }

  /** The text with every registered value and every secret pattern replaced by `[REDACTED]`. */
  redact(text: string): string {
    let out = this.redactValues(text);
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  }

  /**
   * A server's answer as people may see it, whole: when it is JSON, the string values of its
   * secret fields (at any depth, and `extraKeys`, compared as JSON.parse unescapes them, so
   * `"\u0061ccess_token"` is `access_token`) are registered first, and the text is written anew
   * by JSON.stringify, so each secret is in the one form registered (no escapes hide it); then
   * everything is redacted. Cut the result, never the answer: a cut secret would not match.
   */
  redactAnswer(text: string, extraKeys: readonly string[] = []): string {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return this.redact(text);
    }
    for (const value of secretValues(doc, extraKeys)) {
      this.add(value);
      this.add(JSON.stringify(value).slice(1, -1));
    }
    return this.redact(JSON.stringify(doc));
  }

  /**
   * Only the registered values removed, for text whose secret-looking parts are meant to be seen
   * (a device flow's user code in `verification_uri_complete`, often as `?code=`).
   */
  redactValues(text: string): string {
    // The encoded forms are made here, when there is something to redact: a run that prints
    // nothing (the warm `lmi auth token`) does not pay for them.
    this.#sorted ??= [
      ...new Set(
        [...this.#values].flatMap((v) => [v, encodeURIComponent(v), formEncode(v)]),
      ),
    ].sort((a, b) => b.length - a.length);
    let out = text;
    for (const value of this.#sorted) out = out.split(value).join(REDACTED);
    return out;
  }
}

/** The string values of secret fields anywhere in a parsed JSON document (no recursion). */
function secretValues(doc: unknown, extraKeys: readonly string[]): string[] {
  const extra = new Set(extraKeys.map((k) => k.toLowerCase()));
  const found: string[] = [];
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    for (const [key, value] of Object.entries(node)) {
      const k = key.toLowerCase();
      if (typeof value === "string" && (ANSWER_SECRET_KEYS.has(k) || extra.has(k))) {
        found.push(value);
      } else stack.push(value);
    }
  }
  return found;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
