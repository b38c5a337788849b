/**
 * Issuer identifiers as lmi compares them (DESIGN.md → Tokens): equal with or without one
 * trailing slash, since IdPs and the people configuring them disagree on it (`https://h/` in
 * discovery, `https://h` in the config, or the reverse) and both name the same server. Nothing
 * else is loosened: scheme, host, port, path and case must match as written.
 *
 * @module
 */

/** The issuer without one trailing slash: what two issuers that are the same have in common. */
function stem(issuer: string): string {
  return issuer.endsWith("/") ? issuer.slice(0, -1) : issuer;
}

/** Whether `a` and `b` name the same issuer: equal, or equal but for one trailing slash. */
export function sameIssuer(a: string, b: string): boolean {
  return stem(a) === stem(b);
}

/**
 * Every spelling {@link sameIssuer} takes for `issuer` (for checks that take a list, such as
 * jose's `issuer` option): with and without the trailing slash.
 */
export function issuerForms(issuer: string): string[] {
  const s = stem(issuer);
  // A stem that still ends in "/" (the issuer ended in "//") has no slash-less form.
  return s.endsWith("/") ? [s + "/"] : [s, s + "/"];
}
