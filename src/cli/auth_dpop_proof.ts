/**
 * `lmi auth dpop-proof --method M --url U [--nonce N] [--env NAME]`: print a fresh DPoP proof
 * (RFC 9449) made with the env's key and bound to its current token (`ath`), for tools that make
 * their own requests.
 *
 * @module
 */
import { ssoTable } from "../config/sso.ts";
import { ConfigError, q, UsageError } from "../errors.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envFor } from "./common.ts";
import type { CommandContext, DPOP_PROOF_OPTIONS, Flags } from "./spec.ts";

const METHOD = /^[A-Za-z]+$/;

export interface DpopProofOptions {
  method: string;
  url: string;
  nonce?: string;
}

/** Flags → options (no I/O). */
export function parseOptions(flags: Flags<typeof DPOP_PROOF_OPTIONS>): DpopProofOptions {
  const { method, url, nonce } = flags;
  if (!method || !METHOD.test(method)) {
    throw new UsageError("BAD_FLAG_VALUE", "--method needs an HTTP method such as GET or POST", {
      hint: "lmi auth dpop-proof --method GET --url https://api.example.com/path",
    });
  }
  if (!url || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError("BAD_FLAG_VALUE", `--url needs an absolute http(s) URL`, {
      hint: "lmi auth dpop-proof --method GET --url https://api.example.com/path",
    });
  }
  return { method: method.toUpperCase(), url, ...(nonce ? { nonce } : {}) };
}

export async function run(options: DpopProofOptions, ctx: CommandContext): Promise<number> {
  const { env } = await envFor(ctx);
  const ssoDpop = env.auth.type === "sso" && env.sso?.dpop === true;
  if (!env.auth.dpop && !ssoDpop) {
    throw new ConfigError("DPOP_OFF", `env ${q(env.name)} does not use DPoP`, {
      hint: env.auth.type === "sso"
        ? `set dpop = true in ${ssoTable(env.ssoProvider)}`
        : `set dpop = true in [envs.${env.name}.auth]`,
    });
  }
  const { token } = await acquireToken(env, ctx, {});
  if (!token.dpopKey) {
    throw new ConfigError("DPOP_UNBOUND", `the token of env ${q(env.name)} is not DPoP-bound`, {
      hint: "the IdP issued a Bearer token: check that it supports DPoP for this client",
    });
  }
  const { createProof } = await import("../http/dpop.ts");
  const proof = await createProof(token.dpopKey, {
    method: options.method,
    url: options.url,
    accessToken: token.accessToken,
    now: ctx.deps.now(),
    ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
  });
  await ctx.deps.stdout.write(proof + "\n");
  return 0;
}
