/**
 * The layers (ARCHITECTURE.md): imports go down (cli → sso/tokens → oauth → http → config/ui →
 * ground), nothing below src/cli/ imports from it, and openid-client stays inside src/oauth/.
 */
import { join, relative } from "node:path";
import { assertEquals } from "../helpers/assert.ts";
import { REPO } from "../../scripts/run_lmi.ts";

const SRC = join(REPO, "src");

/** A path relative to src/, with `/` on every OS (Windows' relative() gives `\`). */
function fromSrc(path: string): string {
  return relative(SRC, path).replaceAll("\\", "/");
}

function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** Every module a file imports (static, dynamic and type-only), as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => fromSrc(join(file, "..", s)));
}

Deno.test("nothing below src/cli/ imports from it", () => {
  const offenders: string[] = [];
  for (const file of sources(SRC)) {
    const own = fromSrc(file);
    if (own.startsWith("cli/")) continue;
    for (const target of importsOf(file)) {
      if (target.startsWith("cli/")) offenders.push(`${own} -> ${target}`);
    }
  }
  assertEquals(offenders, []);
});

Deno.test("openid-client is used only inside src/oauth/", () => {
  const offenders: string[] = [];
  for (const file of sources(SRC)) {
    const own = fromSrc(file);
    if (own.startsWith("oauth/") || own === "deps.ts") continue;
    const text = Deno.readTextFileSync(file);
    if (/OpenidClient|loadOpenidClient|\bconn\.lib\b|\.lib\./.test(text)) offenders.push(own);
  }
  assertEquals(offenders, []);
});

const RANK: Record<string, number> = {
  "cli": 5,
  "sso": 4,
  "tokens": 4,
  "oauth": 3,
  "http": 2,
  "config": 1,
  "ui": 1,
};

Deno.test("imports go down the layers", () => {
  const offenders: string[] = [];
  const rank = (path: string) => RANK[path.split("/")[0]!] ?? (path.includes("/") ? 0 : -1);
  for (const file of sources(SRC)) {
    const own = fromSrc(file);
    const mine = rank(own);
    if (mine < 0) continue; // top-level modules (mod.ts, client.ts…) wire the layers together
    for (const target of importsOf(file)) {
      const theirs = rank(target);
      if (theirs > mine) offenders.push(`${own} -> ${target}`);
    }
  }
  assertEquals(offenders, []);
});
