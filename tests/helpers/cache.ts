/** Reading and planting the service-token cache file in tests (DESIGN.md → Tokens). */
import { join } from "node:path";
import type { Sandbox } from "./cli.ts";

/** `<cache>/lmi/tokens/<env>.json` of the sandbox. */
export function tokenFile(box: Pick<Sandbox, "cacheDir">, env: string): string {
  return join(box.cacheDir, "lmi", "tokens", `${env}.json`);
}

/** Every entry of the env's cache file, most recently written first. */
export function cacheEntries(
  box: Pick<Sandbox, "cacheDir">,
  env: string,
): Record<string, unknown>[] {
  const file = JSON.parse(Deno.readTextFileSync(tokenFile(box, env)));
  return file.entries;
}

/** The most recently written entry of the env's cache file. */
export function cacheEntry(box: Pick<Sandbox, "cacheDir">, env: string): Record<string, unknown> {
  return cacheEntries(box, env)[0]!;
}

/** Replace the env's cache file with these entries (0600). */
export async function writeCacheEntries(
  box: Pick<Sandbox, "cacheDir">,
  env: string,
  entries: Record<string, unknown>[],
): Promise<void> {
  await Deno.writeTextFile(tokenFile(box, env), JSON.stringify({ version: 2, entries }), {
    mode: 0o600,
  });
}
