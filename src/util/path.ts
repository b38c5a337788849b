/**
 * The few path operations lmi needs (join, dirname, resolve), for POSIX and Windows paths.
 *
 * Written here rather than imported from `node:path` because any `node:` module (or a package
 * that touches `process`) starts Deno's Node compatibility layer, which measured 8–20 ms on every
 * run: most of the warm `lmi auth token` budget of 1.5× bare Deno start-up.
 *
 * @module
 */

const isWindowsStyle = (p: string) => /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");

/** Whether `p` is absolute (`/x`, `C:\x`, `C:/x`, `\\server\share`). */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/") || isWindowsStyle(p);
}

function separatorFor(p: string): string {
  return isWindowsStyle(p) || (!p.includes("/") && p.includes("\\")) ? "\\" : "/";
}

/** Collapse `.`, `..`, repeated and trailing separators. */
export function normalize(p: string): string {
  const sep = separatorFor(p);
  const root = /^([A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+[\\/]?|\/)/.exec(p)?.[0] ?? "";
  const parts: string[] = [];
  for (const part of p.slice(root.length).split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (part !== ".." || root === "") parts.push(part);
  }
  const rootOut = root.replace(/[\\/]+$/, "").replace(/\//g, sep === "\\" ? "\\" : "/");
  const body = parts.join(sep);
  if (root) return `${rootOut}${sep}${body}`;
  return body || ".";
}

/** Join segments with the separator the first one uses. */
export function join(...segments: string[]): string {
  const nonEmpty = segments.filter((s) => s !== "");
  if (nonEmpty.length === 0) return ".";
  const sep = separatorFor(nonEmpty[0]!);
  return normalize(nonEmpty.join(sep));
}

/** The folder part of a path. */
export function dirname(p: string): string {
  const n = normalize(p);
  const i = Math.max(n.lastIndexOf("/"), n.lastIndexOf("\\"));
  if (i < 0) return ".";
  const head = n.slice(0, i);
  if (head === "") return n[0]!;
  if (/^[A-Za-z]:$/.test(head)) return `${head}${n[i]}`;
  return head;
}

/** `p` made absolute against `base` (which must be absolute). */
export function resolve(base: string, p: string): string {
  return isAbsolute(p) ? normalize(p) : join(base, p);
}
