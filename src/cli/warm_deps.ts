/**
 * What src/deps.ts is inside the warm bundle (scripts/bundle.ts puts this module in its place):
 * no third-party code at all, so Deno resolves no npm package when main.ts starts. Needing one (a
 * config file not parsed before, a token without a matching signature memo) fails the warm
 * attempt, and main.ts runs the full program, which loads it and leaves the parse and the memo
 * cached for the next run.
 *
 * @module
 */
import type * as Deps from "../deps.ts";

const declined = (): Promise<never> =>
  Promise.reject(new Error("the warm path loads no npm package"));

// Only what the warm path's modules import from deps.ts (the bundler says when one is missing).
export const loadJoseVerify: typeof Deps.loadJoseVerify = declined;
export const loadToml: typeof Deps.loadToml = declined;
