/**
 * The token endpoint under the tests' control: counters of its POSTs (`DevIdp.stats`) and
 * canned answers given instead of the real handler (`DevIdp.faults`).
 *
 * @module
 */
import type { KoaContext, Next } from "./oidc_types.ts";
import type { DevIdp, TokenFault } from "./types.ts";
import { MAX_DELAY_MS, readNodeBody, sleep } from "./util.ts";

export interface TokenEndpointHooks {
  stats: DevIdp["stats"];
  faults: DevIdp["faults"];
  /** oidc-provider middleware for POST /token: counts it and answers a pending fault. */
  handle(ctx: KoaContext, next: Next): Promise<void>;
}

type PendingFault = Required<Omit<TokenFault, "times">> & { remaining: number };

/** Counters at zero and no fault; `closing` aborting cuts a fault's delay short. */
export function tokenEndpointHooks(closing: AbortSignal): TokenEndpointHooks {
  const byGrant: Record<string, number> = {};
  const stats = {
    tokenRequests: 0,
    byGrant,
    reset() {
      stats.tokenRequests = 0;
      for (const key of Object.keys(byGrant)) delete byGrant[key];
    },
  };
  const countGrant = (grantType: unknown) => {
    if (typeof grantType === "string" && grantType) {
      byGrant[grantType] = (byGrant[grantType] ?? 0) + 1;
    }
  };
  let fault: PendingFault | null = null;

  return {
    stats,
    faults: {
      token(f: TokenFault | null) {
        fault = f === null ? null : pendingFault(f);
      },
    },
    async handle(ctx, next) {
      stats.tokenRequests++;
      if (fault && fault.remaining > 0) {
        const f = fault;
        if (--f.remaining <= 0) fault = null;
        const body = await readNodeBody(ctx.req).catch(() => "");
        countGrant(new URLSearchParams(body).get("grant_type"));
        await sleep(f.delayMs, closing);
        ctx.status = f.status;
        ctx.body = f.body;
        ctx.set("Content-Type", f.contentType);
        return;
      }
      try {
        await next();
      } finally {
        countGrant(ctx.oidc?.body?.grant_type);
      }
    },
  };
}

/** `f` checked and with its defaults; null when it is for no request at all. */
function pendingFault(f: TokenFault): PendingFault | null {
  const status = f.status ?? 500;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`fault status must be 200-599, got ${status}`);
  }
  const times = f.times ?? 1;
  const delayMs = f.delayMs ?? 0;
  if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
    throw new RangeError(`fault delayMs must be 0-${MAX_DELAY_MS}, got ${delayMs}`);
  }
  return times > 0
    ? {
      status,
      body: f.body ?? "",
      contentType: f.contentType ?? "text/plain; charset=utf-8",
      delayMs,
      remaining: times,
    }
    : null;
}
