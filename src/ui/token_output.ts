/**
 * Printing a token in the formats `lmi auth token` offers. Pure.
 *
 * @module
 */
import type { TokenSet } from "../context.ts";

export type TokenFormat = "raw" | "header" | "json" | "env" | "exec-credential";

/** "bearer" → "Bearer"; other types as given. */
export function tokenTypeLabel(type: string): string {
  return type.toLowerCase() === "bearer" ? "Bearer" : type;
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
  const expires = token.expiresAt !== undefined
    ? new Date(token.expiresAt).toISOString()
    : undefined;
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
          expires_at: expires ?? null,
          scope: token.scope ?? null,
        },
        null,
        2,
      ) + "\n";
    case "env":
      return [
        `export LMI_TOKEN=${shellQuote(token.accessToken)}`,
        `export LMI_TOKEN_TYPE=${shellQuote(tokenTypeLabel(token.tokenType))}`,
        ...(expires ? [`export LMI_TOKEN_EXPIRES_AT=${shellQuote(expires)}`] : []),
        `export LMI_ENV=${shellQuote(env)}`,
      ].join("\n") + "\n";
    case "exec-credential":
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
