/**
 * The `WWW-Authenticate` header (RFC 9110 §11.6.1): a list of challenges, each an auth-scheme
 * followed by a token68 (`Negotiate YII=`) or by auth-params (`realm="api", error=invalid_token`),
 * the values tokens or quoted strings with `\` escapes. Several header fields arrive joined with
 * ", " (RFC 9110 §5.3), which is the same list.
 *
 * The text is the server's: parsing is pure and bounded. A header longer than
 * {@link MAX_HEADER_LENGTH} is not parsed at all; at most {@link MAX_CHALLENGES} challenges and
 * {@link MAX_PARAMS} parameters each are kept; an element that does not parse is skipped up to the
 * next comma (quoted strings kept whole), and a quoted string that never ends, or holds a control
 * character, drops its parameter.
 *
 * @example
 * ```ts
 * import { parseWwwAuthenticate } from "./www_authenticate.ts";
 *
 * const [c] = parseWwwAuthenticate('Bearer error="insufficient_scope", scope="admin"');
 * console.log(c?.scheme, c?.params.get("scope")); // bearer admin
 * ```
 *
 * @module
 */

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** The auth-scheme, lower-cased: schemes compare without case (RFC 9110 §11.1). */
  scheme: string;
  /** The token68 the challenge carries instead of parameters, when it does. */
  token68?: string;
  /**
   * Parameters by lower-cased name (names compare without case), values unquoted. A name given
   * twice (RFC 9110 §11.2 forbids it) keeps its first value.
   */
  params: Map<string, string>;
}

/** Longer headers are not parsed: no server needs 8 KiB to say how to authenticate. */
export const MAX_HEADER_LENGTH = 8192;
/** Challenges kept from one header. */
export const MAX_CHALLENGES = 16;
/** Parameters kept from one challenge. */
export const MAX_PARAMS = 32;

/** tchar (RFC 9110 §5.6.2). */
const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
/** token68 (RFC 9110 §11.2). */
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*/y;
/** qdtext and the octets a quoted-pair may escape: HTAB, SP, VCHAR, obs-text. */
const QUOTABLE = /^[\t\x20-\x7e\x80-\xff]$/;

/** The challenges of a `WWW-Authenticate` header value, in order. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  if (header.length > MAX_HEADER_LENGTH) return [];
  const s = header;
  let i = 0;

  const isOws = (c: string | undefined) => c === " " || c === "\t";
  const skipOws = () => {
    while (isOws(s[i])) i++;
  };
  const readToken = (): string => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(s);
    if (!m) return "";
    i = TOKEN.lastIndex;
    return m[0];
  };
  /** At a `"`: the unquoted value, or undefined when it never ends or holds a control. */
  const readQuoted = (): string | undefined => {
    let value = "";
    let ok = true;
    for (i++; i < s.length; i++) {
      let c = s[i]!;
      if (c === '"') {
        i++;
        return ok ? value : undefined;
      }
      if (c === "\\") {
        i++;
        if (i >= s.length) break;
        c = s[i]!;
      }
      if (!QUOTABLE.test(c)) ok = false;
      value += c;
    }
    return undefined; // unterminated: the rest of the header was inside it
  };
  /** Past the current list element: up to the next comma outside a quoted string. */
  const skipElement = () => {
    while (i < s.length && s[i] !== ",") {
      if (s[i] === '"') readQuoted();
      else i++;
    }
  };
  /** Whether `token BWS "=" BWS (token / quoted-string)` starts here (not moving). */
  const paramAhead = (): boolean => {
    const start = i;
    let found = false;
    if (readToken()) {
      skipOws();
      if (s[i] === "=") {
        i++;
        skipOws();
        found = s[i] === '"' || readToken() !== "";
      }
    }
    i = start;
    return found;
  };
  /** Past commas and whitespace (empty list elements are allowed, RFC 9110 §5.6.1). */
  const skipSeparators = () => {
    while (i < s.length && (s[i] === "," || isOws(s[i]))) i++;
  };

  const readParams = (params: Map<string, string>) => {
    for (;;) {
      const name = readToken().toLowerCase();
      skipOws();
      i++; // "=", as paramAhead saw
      skipOws();
      const value = s[i] === '"' ? readQuoted() : readToken();
      if (value !== undefined && !params.has(name) && params.size < MAX_PARAMS) {
        params.set(name, value);
      }
      skipOws();
      if (i < s.length && s[i] !== ",") skipElement(); // something after the value: not ours
      const end = i;
      skipSeparators();
      if (i < s.length && paramAhead()) continue;
      i = end;
      return;
    }
  };

  const challenges: Challenge[] = [];
  while (challenges.length < MAX_CHALLENGES) {
    skipSeparators();
    if (i >= s.length) break;
    const scheme = readToken();
    if (!scheme) {
      skipElement();
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: new Map() };
    const afterScheme = i;
    skipOws();
    if (i >= s.length || s[i] === ",") {
      challenges.push(challenge);
      continue;
    }
    if (i === afterScheme) { // "Bearer=x", "Bearer\"x\"": no challenge
      skipElement();
      continue;
    }
    if (paramAhead()) {
      readParams(challenge.params);
      challenges.push(challenge);
      continue;
    }
    TOKEN68.lastIndex = i;
    const m = TOKEN68.exec(s);
    if (m) {
      i = TOKEN68.lastIndex;
      skipOws();
      if (i >= s.length || s[i] === ",") {
        challenge.token68 = m[0];
        challenges.push(challenge);
        continue;
      }
    }
    skipElement();
  }
  return challenges;
}
