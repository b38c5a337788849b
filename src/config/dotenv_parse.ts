/**
 * Parsing `.env` files: `KEY=value` lines, optional `export`, `#` comments, single, double and
 * backtick quotes (double quotes expand `\n`), quoted values over several lines.
 *
 * Written here rather than using `node:util`'s parseEnv because importing any `node:` module
 * starts Deno's Node compatibility layer on every run (measured 8 ms or more).
 *
 * @module
 */

const LINE =
  /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#\n]*)?[ \t]*(?:#.*)?$/gm;

/** Variables defined by `.env` text. Later definitions of a key win. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const source = text.replace(/\r\n?/g, "\n");
  for (const match of source.matchAll(LINE)) {
    const key = match[1]!;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    if (
      (quote === '"' || quote === "'" || quote === "`") && value.endsWith(quote) &&
      value.length >= 2
    ) {
      value = value.slice(1, -1);
      if (quote === '"') {
        value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r").replace(/\\"/g, '"');
      }
    }
    out[key] = value;
  }
  return out;
}
