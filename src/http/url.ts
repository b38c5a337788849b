/**
 * Request URLs against an env's base_url. A relative path is appended to the base URL's path
 * (`https://h/api` + `/users` and + `users` both give `https://h/api/users`), keeping the query.
 * A full URL is used as given; credentials go only to the base URL's origin.
 *
 * @module
 */
import { ConfigError, q, UsageError } from "../errors.ts";

export interface Target {
  url: URL;
  /** Whether the URL is on base_url's origin (and so may receive the token and env headers). */
  sameOrigin: boolean;
}

/** Resolve `target` (a path or a full URL) against `baseUrl`. */
export function resolveTarget(
  baseUrl: string | undefined,
  target: string,
  envName: string,
): Target {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError("BAD_URL", `not a valid URL: ${q(target)}`, {
        hint: "write a full URL or a path like /users",
      });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new UsageError("BAD_URL", `unsupported URL scheme ${q(url.protocol)}`, {
        hint: "use http:// or https://",
      });
    }
    return { url, sameOrigin: baseUrl !== undefined && url.origin === parseBase(baseUrl).origin };
  }
  if (baseUrl === undefined) {
    throw new ConfigError(
      "NO_BASE_URL",
      `env ${q(envName)} has no base_url, so ${q(target)} cannot be resolved`,
      {
        hint: `set base_url in [envs.${envName}] (LMI_BASE_URL for an env defined by LMI_* ` +
          "variables): lmi sends an env's token only to its base_url's origin",
      },
    );
  }
  const { origin, basePath } = parseBase(baseUrl);
  const cut = target.search(/[?#]/);
  const path = (cut < 0 ? target : target.slice(0, cut)).replace(/^\/+/, "");
  const pathname = path ? `${basePath}/${path}` : basePath || "/";
  // A plain path (the usual case) parses as it would be set; anything else is set piece by piece.
  if (cut < 0 && PLAIN_PATH.test(pathname)) {
    return { url: new URL(origin + pathname), sameOrigin: true };
  }
  const url = new URL(origin);
  url.pathname = pathname;
  const suffix = cut < 0 ? "" : target.slice(cut);
  const queryIndex = suffix.indexOf("?");
  const hashIndex = suffix.indexOf("#");
  if (queryIndex >= 0) {
    url.search = suffix.slice(queryIndex, hashIndex > queryIndex ? hashIndex : undefined);
  }
  if (hashIndex >= 0) url.hash = suffix.slice(hashIndex);
  return { url, sameOrigin: true };
}

/** Path characters that mean the same in a whole URL as in `url.pathname = …` (RFC 3986 pchar). */
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/** Parsed base URLs (an env's base_url is resolved against for every request). */
const bases = new Map<string, { origin: string; basePath: string }>();

function parseBase(baseUrl: string): { origin: string; basePath: string } {
  let base = bases.get(baseUrl);
  if (!base) {
    const url = new URL(baseUrl);
    base = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
    if (bases.size >= 64) bases.clear();
    bases.set(baseUrl, base);
  }
  return base;
}

/**
 * How closely `baseUrl` covers `target`, for the credential helpers: the number of path segments
 * of base_url when both have the same scheme and host (with port; a default port is the same as
 * none) and base_url's path is a whole-segment prefix of the target's path (`/org` covers
 * `/org/repo.git`, not `/organisation`); undefined when it does not cover it. A longer prefix is
 * a closer match. An unparsable base_url covers nothing.
 */
export function baseUrlCoverage(baseUrl: string, target: URL): number | undefined {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (base.protocol !== target.protocol || base.host !== target.host) return undefined;
  const baseSegments = pathSegments(base.pathname);
  const targetSegments = pathSegments(target.pathname);
  if (baseSegments.length > targetSegments.length) return undefined;
  return baseSegments.every((s, i) => s === targetSegments[i]) ? baseSegments.length : undefined;
}

function pathSegments(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/** How many times a helper path is percent-decoded when looking for dot segments and slashes. */
const DECODINGS = 3;

/**
 * Why `path` (`/org/x.git`) cannot be matched against a base_url, or undefined when it
 * can. URL parsers and servers each resolve some of these their own way, so such a path could be
 * matched against one env's base_url and reach a repository outside it: a `.` or `..` segment,
 * also percent-encoded (`%2e%2E`, `%252e`) or with a path parameter some servers drop (`..;x`);
 * an empty segment (`org//x`; a trailing `/` is fine); an encoded `/`; a backslash (`/` to URL
 * parsers and Windows servers); a control character (tabs and line breaks vanish in URLs).
 */
export function unmatchablePath(path: string): string | undefined {
  const segments = path.split("/");
  for (const [i, segment] of segments.entries()) {
    if (segment === "" && (i === 0 || i === segments.length - 1)) continue; // the first or last /
    let text = segment;
    for (let level = 0; level <= DECODINGS; level++) {
      if (/\p{Cc}/u.test(text)) return `a control character in ${q(segment)}`;
      if (text.includes("\\")) return `a backslash in ${q(segment)}`;
      if (text.includes("/")) return `an encoded "/" in ${q(segment)}`;
      const name = text.split(";", 1)[0];
      if (name === "") {
        return segment === "" ? "an empty segment" : `an empty segment ${q(segment)}`;
      }
      if (name === "." || name === "..") return `a dot segment ${q(segment)}`;
      const decoded = text.replace(
        /%([0-9a-f]{2})/gi,
        (_, hex) => String.fromCharCode(parseInt(hex, 16)),
      );
      if (decoded === text) break;
      text = decoded;
    }
  }
  return undefined;
}

/**
 * The path of an absolute http(s) URL as written, before a parser resolves its dot segments
 * (`https://h/a/../b?q` gives `/a/../b`; no path gives `/`).
 */
export function pathAsWritten(url: string): string {
  const path = /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*([^?#]*)/i.exec(url.trim())?.[1] ?? "";
  return path === "" ? "/" : path;
}
