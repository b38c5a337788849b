/**
 * The line of a key in TOML source, for error messages. One pass over the lines, tracking the
 * current `[table]` and whether a multi-line string or array is open, so the cost is linear in the
 * size of the file whatever it holds (a long string, a long line, many lines).
 *
 * @module
 */

type Open = '"""' | "'''";

/** What is still open at the end of a line: a multi-line string, arrays and inline tables. */
interface Value {
  open: Open | undefined;
  depth: number;
}

// Sticky patterns with one way to match: each character is looked at once.
const SPACE = /[ \t]*/y;
const BARE_KEY = /[A-Za-z0-9_-]+/y;
const BASIC_STRING = /"(?:[^"\\]|\\.)*"/y;
const LITERAL_STRING = /'[^']*'/y;

/**
 * Best-effort line of `path` in TOML source: follows `[table]` headers and `key =` lines,
 * including dotted and quoted keys and inline tables on one line, and skips the inside of
 * multi-line strings and arrays. Returns undefined when unsure.
 */
export function findKeyLine(text: string, path: readonly string[]): number | undefined {
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  let fallback: number | undefined;
  const value: Value = { open: undefined, depth: 0 };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (value.open || value.depth > 0) {
      scanValue(line, 0, value);
      continue;
    }
    let at = skip(SPACE, line, 0);
    const header = line[at] === "[" ? readHeader(line, at) : undefined;
    if (header) {
      table = header;
      if (samePath(table, path)) fallback ??= n + 1;
      continue;
    }
    const key = readKey(line, at);
    if (key && line[key.end] === "=") {
      const full = [...table, ...key.parts];
      if (samePath(full, path)) return n + 1;
      // The key sits inside an inline table or dotted key on this line.
      if (full.length < path.length && samePath(full, path.slice(0, full.length))) {
        if (path.slice(full.length).every((k) => line.includes(k))) fallback = n + 1;
      }
      at = key.end + 1;
    }
    scanValue(line, at, value);
  }
  return fallback;
}

/** The key of a `[table]` or `[[array]]` header line, or undefined when the line is not one. */
function readHeader(line: string, at: number): string[] | undefined {
  const double = line[at + 1] === "[";
  const key = readKey(line, at + (double ? 2 : 1));
  if (!key || !line.startsWith(double ? "]]" : "]", key.end)) return undefined;
  const end = skip(SPACE, line, key.end + (double ? 2 : 1));
  return end === line.length || line[end] === "#" ? key.parts : undefined;
}

/** A dotted key starting at `at` (after spaces): its parts and where it ends (after spaces). */
function readKey(line: string, at: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let i = at;
  while (true) {
    i = skip(SPACE, line, i);
    const part = token(BARE_KEY, line, i) ?? token(BASIC_STRING, line, i) ??
      token(LITERAL_STRING, line, i);
    if (part === undefined) return undefined;
    parts.push(unquote(part));
    i = skip(SPACE, line, i + part.length);
    if (line[i] !== ".") return { parts, end: i };
    i++;
  }
}

/** Scan values on a line from `at`, updating what is open at its end (strings, brackets). */
function scanValue(line: string, at: number, value: Value): void {
  let i = at;
  if (value.open) {
    i = closeOf(line, i, value.open);
    if (i < 0) return;
    value.open = undefined;
  }
  while (i < line.length) {
    const c = line[i];
    if (c === "#") return;
    const triple = line.startsWith('"""', i) ? '"""' : line.startsWith("'''", i) ? "'''" : "";
    if (triple) {
      i = closeOf(line, i + 3, triple);
      if (i < 0) {
        value.open = triple;
        return;
      }
    } else if (c === '"' || c === "'") {
      const s = token(c === '"' ? BASIC_STRING : LITERAL_STRING, line, i);
      i = s === undefined ? line.length : i + s.length;
    } else {
      if (c === "[" || c === "{") value.depth++;
      else if ((c === "]" || c === "}") && value.depth > 0) value.depth--;
      i++;
    }
  }
}

/** Where the multi-line string `open` ends in `line` (after its quotes), or -1. */
function closeOf(line: string, from: number, open: Open): number {
  for (let i = from; i < line.length; i++) {
    if (open === '"""' && line[i] === "\\") i++;
    else if (line.startsWith(open, i)) {
      let end = i + 3;
      // Up to two quotes right before the closing ones belong to the string.
      while (end < i + 5 && line[end] === open[0]) end++;
      return end;
    }
  }
  return -1;
}

function token(pattern: RegExp, line: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(line)?.[0];
}

function skip(pattern: RegExp, line: string, at: number): number {
  return at + (token(pattern, line, at)?.length ?? 0);
}

function unquote(part: string): string {
  if (part.startsWith("'")) return part.slice(1, -1);
  if (!part.startsWith('"')) return part;
  try {
    return JSON.parse(part);
  } catch {
    return part.slice(1, -1);
  }
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
