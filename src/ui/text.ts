/**
 * Text from elsewhere (an IdP's answer, an API's error body) made safe to print on a terminal.
 *
 * @module
 */

/** `text` without C0/C1 control characters (escape sequences, carriage returns, bells). */
export function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const n = ch.codePointAt(0)!;
    if (n >= 0x20 && (n < 0x7f || n > 0x9f) && !isBidiControl(n)) out += ch;
  }
  return out;
}

/** Bidirectional overrides and isolates: they reorder what the terminal shows. */
function isBidiControl(n: number): boolean {
  return (n >= 0x202a && n <= 0x202e) || (n >= 0x2066 && n <= 0x2069);
}

/**
 * Whole escape sequences: CSI (`ESC [ … m`), OSC (`ESC ] … BEL`, a hyperlink or a window title),
 * DCS/PM/APC strings, and two-byte escapes, in their 7- and 8-bit forms.
 */
const ESCAPES = new RegExp(
  [
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]",
    "(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?",
    "(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\\\|\x9c)?",
    "\x1b[ -~]",
  ].join("|"),
  "g",
);

/**
 * A server's text as one line for people: escape sequences and control characters removed,
 * runs of whitespace made one space, and at most `max` characters (then `…`).
 *
 * @example
 * ```ts
 * safeText("bad\x1b[31m red\r\nline", 200); // "bad red line"
 * ```
 */
export function safeText(text: string, max: number): string {
  const flat = printable(text.replace(ESCAPES, "").replace(/\s+/g, " ")).trim();
  if (flat.length <= max) return flat;
  return `${Array.from(flat.slice(0, max + 1)).slice(0, max).join("")}…`;
}

/**
 * Characters that act on a terminal or hide in it: controls (but line feed and tab), format
 * characters (zero-width spaces and joiners, bidirectional marks and overrides) and the Unicode
 * line and paragraph separators.
 */
const HIDDEN = /(?![\n\t])[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * `text` with every character that could act on a terminal or hide there written as a `\u{…}`
 * escape, so what people read is what is there: for paths and values that come from files lmi
 * did not write (a cloned repository's folder names, a config's strings).
 *
 * @example
 * ```ts
 * visible("/tmp/x\x1b[31m/lmi.toml"); // "/tmp/x\\u{1b}[31m/lmi.toml"
 * ```
 */
export function visible(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * `value` as one word of a POSIX shell command, quoted only when it must be, for the commands
 * hints print (`lmi login sso --acr-values 'phr phrh'`).
 *
 * @example
 * ```ts
 * shellWord("/tmp/a b"); // "'/tmp/a b'"
 * ```
 */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
