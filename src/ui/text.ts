/**
 * Text from elsewhere (an IdP's answer) made safe to print on a terminal.
 *
 * @module
 */

/** `text` without C0/C1 control characters (escape sequences, carriage returns, bells). */
export function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const n = ch.codePointAt(0)!;
    if (n >= 0x20 && (n < 0x7f || n > 0x9f)) out += ch;
  }
  return out;
}
