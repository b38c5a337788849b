/**
 * What an access token and its type may be made of, wherever they come from (an IdP's token
 * response, a credential process's output): characters that go safely into an HTTP header, a
 * terminal and the formats `lmi auth token` prints. One rule, so no source of tokens escapes it.
 *
 * @module
 */

/** RFC 6750 §2.1 b64token: what a Bearer access token may be made of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Printable ASCII without spaces: any other token type's access token, and the type's name. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** Which field cannot be used and what it contains; the token itself is never quoted. */
export interface UnusableToken {
  field: "access_token" | "token_type";
  what: string;
}

/**
 * Why `accessToken` of type `tokenType` cannot be used, or undefined when it can. A Bearer token
 * must be a b64token (RFC 6750 §2.1); other types' tokens, and the type itself, printable ASCII
 * without spaces (no CR/LF that would end a header line, no escape sequences).
 *
 * @example
 * ```ts
 * unusableToken("abc", "Bearer\r\nX-Injected: 1"); // { field: "token_type", … }
 * ```
 */
export function unusableToken(accessToken: string, tokenType: string): UnusableToken | undefined {
  if (!VISIBLE_ASCII.test(tokenType)) {
    return { field: "token_type", what: "characters other than printable ASCII without spaces" };
  }
  if (tokenType.toLowerCase() === "bearer") {
    if (!B64TOKEN.test(accessToken)) {
      return {
        field: "access_token",
        what: "characters a Bearer token may not have (RFC 6750 §2.1)",
      };
    }
  } else if (!VISIBLE_ASCII.test(accessToken)) {
    return { field: "access_token", what: "characters other than printable ASCII without spaces" };
  }
  return undefined;
}
