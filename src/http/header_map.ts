/**
 * Request headers as the authenticated fetch builds them: names lower-cased, one value each,
 * given to fetch as a plain record. Handing fetch a `Headers` object costs tens of microseconds
 * more per request than a record (measured on Deno 2.9), a noticeable part of an API call on a
 * fast network. Values are checked as `Headers` checks them: a bad one is a TypeError at once.
 *
 * @module
 */

/** What `Headers` strips from the ends of a value (RFC 9110 §5.5: optional whitespace). */
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
/** What a value may not hold after that (the Fetch standard's header value rules). */
const BAD_VALUE = /[\0\r\n]/;

function isEdgeSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

export class HeaderMap {
  readonly #map: Map<string, string>;

  /** A copy of `from`, or empty. */
  constructor(from?: HeaderMap) {
    this.#map = from ? new Map(from.#map) : new Map();
  }

  /** The headers of `init` (checked by `Headers`: a bad name or value is a TypeError). */
  static of(init: HeadersInit | undefined): HeaderMap {
    const headers = new HeaderMap();
    if (init !== undefined) { for (const [k, v] of new Headers(init)) headers.#map.set(k, v); }
    return headers;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  set(name: string, value: string): void {
    const normalized =
      isEdgeSpace(value.charCodeAt(0)) || isEdgeSpace(value.charCodeAt(value.length - 1))
        ? value.replace(EDGE_WHITESPACE, "")
        : value;
    if (BAD_VALUE.test(normalized)) {
      throw new TypeError(`Invalid header value for ${JSON.stringify(name)}`);
    }
    this.#map.set(name.toLowerCase(), normalized);
  }

  delete(name: string): void {
    this.#map.delete(name.toLowerCase());
  }

  /** Name and value pairs, names in order (as `Headers` lists them). */
  sorted(): [string, string][] {
    return [...this.#map].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }

  /** The headers for fetch's `init.headers`. */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.#map);
  }
}
