/**
 * The real world behind the dependencies object, built by the program's entry point (main.ts)
 * and the library's (`createClient`). Below this, code reaches the world only through `Deps`.
 *
 * @module
 */
import { type Deps, realSleep, writerOutput } from "./context.ts";
import { dataDir } from "./config/paths.ts";
import { type CacheKey, userCacheKey } from "./util/cache_key.ts";
import { lineReader } from "./util/line_reader.ts";

/** Up to `n` bytes from `reader`: fewer only when it ends first. Nothing past them is read. */
async function readAtMost(
  reader: { read(p: Uint8Array): Promise<number | null> },
  n: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const buffer = new Uint8Array(n);
  let size = 0;
  while (size < n) {
    const got = await reader.read(buffer.subarray(size));
    if (got === null) break;
    size += got;
  }
  return buffer.slice(0, size);
}

/**
 * The real world, for the program's entry point. `cacheKey`: the one an earlier step of this
 * process made (main.ts hands the warm path's to the full program), so the key file is read once.
 */
export function realDeps(cacheKey?: CacheKey): Deps {
  const env = (name: string) => Deno.env.get(name);
  const os = Deno.build.os;
  return {
    fetch: globalThis.fetch.bind(globalThis),
    now: () => Date.now(),
    env,
    envAll: () => Deno.env.toObject(),
    cwd: Deno.cwd(),
    os,
    stdout: writerOutput(Deno.stdout),
    stderr: writerOutput(Deno.stderr),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    readStdin: (maxBytes) =>
      maxBytes === undefined
        ? new Response(Deno.stdin.readable).bytes()
        : readAtMost(Deno.stdin, maxBytes + 1),
    readLine: lineReader(Deno.stdin),
    sleep: realSleep,
    onInterrupt(listener) {
      Deno.addSignalListener("SIGINT", listener);
      return () => Deno.removeSignalListener("SIGINT", listener);
    },
    cacheKey: cacheKey ?? userCacheKey(dataDir({ env, os })),
  };
}
