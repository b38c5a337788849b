/**
 * The library side of the benchmark, run as its own process (`deno run -A library_client.ts
 * JSON`) so that the loopback API in the harness does not share its event loop. Prints one JSON
 * line with the result.
 *
 * - `{"mode":"throughput",…}`: N sequential GETs through `createClient().fetch` against N plain
 *   `fetch` calls with a fixed Authorization header, rounds interleaved; requests per second.
 * - `{"mode":"expiry",…}`: `count` concurrent GETs to /slow, launched over `spreadMs` around
 *   the moment the cached token stops being usable (its `exp` minus the refresh margin); how
 *   many token requests and failures that gives.
 *
 * @module
 */
import { createClient } from "../../src/mod.ts";
import { interleave } from "./proc.ts";

export interface ThroughputJob {
  mode: "throughput";
  configPath: string;
  env: string;
  n: number;
  rounds: number;
  path: string;
}

export interface ThroughputResult {
  /** Requests per second of plain fetch, per round. */
  baseline: number[];
  /** Requests per second of createClient().fetch, per round. */
  subject: number[];
  failures: number;
}

export interface ExpiryJob {
  mode: "expiry";
  configPath: string;
  env: string;
  tokenUrl: string;
  count: number;
  spreadMs: number;
  slowMs: number;
  marginMs: number;
}

export interface ExpiryResult {
  /** Token requests made after the first request of the burst was launched. */
  tokenRequests: number;
  /** Responses other than 200, and requests that threw. */
  failures: number;
  /** Requests launched after the token stopped being usable. */
  launchedAfterExpiry: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** The first few failure messages. */
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function throughput(job: ThroughputJob): Promise<ThroughputResult> {
  const api = await createClient({ env: job.env, configPath: job.configPath });
  const token = await api.token();
  const url = new URL(job.path, api.env.baseUrl).href;
  let failures = 0;
  const plain = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) failures++;
  };
  const client = async () => {
    const res = await api.fetch(job.path);
    await res.arrayBuffer();
    if (res.status !== 200) failures++;
  };
  const perSecond = (one: () => Promise<void>, n = job.n) => async () => {
    const started = performance.now();
    for (let i = 0; i < n; i++) await one();
    return n / ((performance.now() - started) / 1000);
  };
  // Warm both paths (connections, JIT) with a tenth of a round, then measure.
  const warm = Math.max(50, Math.ceil(job.n / 10));
  await perSecond(plain, warm)();
  await perSecond(client, warm)();
  const r = await interleave(job.rounds, perSecond(plain), perSecond(client), 0);
  return { baseline: r.baseline, subject: r.subject, failures };
}

function jwtExp(token: string): number {
  const payload = token.split(".")[1];
  if (!payload) throw new Error("the access token is not a JWT");
  const b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const exp = JSON.parse(atob(b64 + "=".repeat((4 - b64.length % 4) % 4))).exp;
  if (typeof exp !== "number") throw new Error("the access token has no exp");
  return exp * 1000;
}

async function expiry(job: ExpiryJob): Promise<ExpiryResult> {
  let tokenPosts = 0;
  const counting: typeof fetch = (input, init) => {
    const req = input instanceof Request ? input : undefined;
    const url = req ? req.url : String(input);
    const method = (init?.method ?? req?.method ?? "GET").toUpperCase();
    if (method === "POST" && url === job.tokenUrl) tokenPosts++;
    return fetch(input, init);
  };
  const api = await createClient({ env: job.env, configPath: job.configPath, fetch: counting });
  const usableUntil = jwtExp(await api.token()) - job.marginMs;
  const start = usableUntil - job.spreadMs / 2;
  if (start < Date.now()) throw new Error("the token's lifetime is too short for the burst");
  await sleep(start - Date.now());
  const before = tokenPosts;
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = 0;
  let launchedAfterExpiry = 0;
  const errors: string[] = [];
  const fail = (message: string) => {
    failures++;
    if (errors.length < 5) errors.push(message);
  };
  const one = async () => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = await api.fetch(`/slow?ms=${job.slowMs}`);
      await res.arrayBuffer();
      if (res.status !== 200) fail(`status ${res.status}`);
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight--;
    }
  };
  const all: Promise<void>[] = [];
  for (let i = 0; i < job.count; i++) {
    await sleep(start + (i * job.spreadMs) / job.count - Date.now());
    if (Date.now() >= usableUntil) launchedAfterExpiry++;
    all.push(one());
  }
  await Promise.all(all);
  return {
    tokenRequests: tokenPosts - before,
    failures,
    launchedAfterExpiry,
    maxInFlight,
    errors,
  };
}

if (import.meta.main) {
  const job = JSON.parse(Deno.args[0] ?? "{}") as ThroughputJob | ExpiryJob;
  const result = job.mode === "throughput" ? await throughput(job) : await expiry(job);
  console.log(JSON.stringify(result));
}
