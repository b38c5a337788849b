/**
 * Printing a token in the formats `lmi auth token` offers. Pure.
 *
 * @module
 */
import type { TokenSet } from "../context.ts";

export type TokenFormat = "raw" | "header" | "json" | "env" | "exec-credential" | "github";

/** "bearer" → "Bearer"; other types as given. */
export function tokenTypeLabel(type: string): string {
  const lower = type.toLowerCase();
  return lower === "bearer" ? "Bearer" : lower === "dpop" ? "DPoP" : type;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The text to print on stdout. `execApiVersion` is the apiVersion kubectl asked for. */
export function formatToken(
  token: TokenSet,
  format: TokenFormat,
  env: string,
  execApiVersion = "client.authentication.k8s.io/v1",
): string {
  // Only the formats that show the expiry compute it.
  const expiry = () => token.expiresAt !== undefined ? isoTime(token.expiresAt) : undefined;
  switch (format) {
    case "raw":
      return `${token.accessToken}\n`;
    case "header":
      return `Authorization: ${tokenTypeLabel(token.tokenType)} ${token.accessToken}\n`;
    case "json":
      return JSON.stringify(
        {
          env,
          access_token: token.accessToken,
          token_type: tokenTypeLabel(token.tokenType),
          expires_at: expiry() ?? null,
          scope: token.scope ?? null,
        },
        null,
        2,
      ) + "\n";
    case "env": {
      const expires = expiry();
      return [
        `export LMI_TOKEN=${shellQuote(token.accessToken)}`,
        `export LMI_TOKEN_TYPE=${shellQuote(tokenTypeLabel(token.tokenType))}`,
        ...(expires ? [`export LMI_TOKEN_EXPIRES_AT=${shellQuote(expires)}`] : []),
        `export LMI_ENV=${shellQuote(env)}`,
      ].join("\n") + "\n";
    }
    case "github":
      // GitHub Actions masks the value in every later log line (the files are written apart).
      return `::add-mask::${commandData(token.accessToken)}\n`;
    case "exec-credential": {
      const expires = expiry();
      return JSON.stringify({
        apiVersion: execApiVersion,
        kind: "ExecCredential",
        status: {
          token: token.accessToken,
          ...(expires ? { expirationTimestamp: expires.replace(/\.\d{3}Z$/, "Z") } : {}),
        },
      }) + "\n";
    }
  }
}

/**
 * A value as the data of a workflow command (`::add-mask::DATA`): the runner reads `%25`, `%0D`
 * and `%0A` as `%`, CR and LF, so those three are written so (`%` first). Unescaped, a token
 * holding `%25` would mask another string than itself, and the token would show in the log.
 */
export function commandData(value: string): string {
  return value.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/**
 * GitHub Actions' file commands for the token: `LMI_TOKEN` (and its type) for later steps'
 * environment (`$GITHUB_ENV`) and `token` as a step output (`$GITHUB_OUTPUT`), in the multi-line
 * form with a random delimiter, so no value can end the block early or add a variable (a value
 * holding the delimiter is refused, as GitHub's toolkit does).
 */
export function githubFileCommands(
  token: TokenSet,
  delimiter: string,
): { env: string; output: string } {
  const block = (name: string, value: string) => {
    if (value.includes(delimiter)) {
      throw new Error(`the value of ${name} holds the file command delimiter`);
    }
    return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  };
  return {
    env: block("LMI_TOKEN", token.accessToken) +
      block("LMI_TOKEN_TYPE", tokenTypeLabel(token.tokenType)),
    output: block("token", token.accessToken),
  };
}

/**
 * `new Date(ms).toISOString()`, built from the UTC fields for the years 0000-9999: the same text
 * without the first `toISOString` call's start-up cost (a megabyte of memory per run, measured on
 * the warm `auth token --format exec-credential`). Other years: `toISOString` itself.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString();
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.` +
    `${pad(d.getUTCMilliseconds(), 3)}Z`;
}
