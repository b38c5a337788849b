/**
 * The rule for a URL lmi sends requests (and secrets) to, wherever it is written (a config key,
 * an `LMI_*` variable, a flag): an absolute http(s) URL with no user name or password in it.
 * `https://api.corp.example@evil.example/` goes to evil.example, never what one meant.
 *
 * @module
 */
import { q } from "../errors.ts";

/** Why `value` is no URL lmi sends requests to, or undefined when it is one. */
export function endpointUrlProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url) return `not a URL: ${q(value)}`;
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `unsupported URL scheme ${q(url.protocol)}`;
  }
  if (url.username !== "" || url.password !== "") {
    return `a URL with a user name or password: ${q(value)} (its host is ${url.host})`;
  }
  return undefined;
}
