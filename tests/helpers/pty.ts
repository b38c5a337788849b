/**
 * Running lmi in a pseudo-terminal (util-linux `script`), as a person at a terminal would: lmi
 * then counts as interactive. Output (stdout and stderr together, or stderr alone when stdout goes
 * to a file) is collected as it comes.
 */
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { LINUX, type Needs } from "./components.ts";

/** What a terminal session needs (for ignoreUnless): util-linux `script`. */
export const NEEDS_PTY: Needs = {
  os: LINUX,
  why: "a pty through util-linux script (macOS's BSD script takes other options; Windows has none)",
  commands: ["script"],
};

export interface PtyRun {
  output(): string;
  /** Resolves when the output matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  status: Promise<number>;
  kill(signal?: Deno.Signal): void;
  /** Type into the terminal. */
  write(text: string): Promise<void>;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** No terminal session in a test lives longer than this, so a stuck step cannot hang the suite. */
export const PTY_LIMIT_MS = 90_000;

export function runInPty(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  options: {
    /** Send lmi's stdout to this file instead, as kubectl reads a credential plugin's. */
    stdoutTo?: string;
  } = {},
): PtyRun {
  const { cmd, args: full } = lmiCommand(args);
  const line = [cmd, ...full].map(shellQuote).join(" ") +
    (options.stdoutTo ? ` > ${shellQuote(options.stdoutTo)}` : "");
  const child = new Deno.Command("script", {
    args: ["-qefc", line, "/dev/null"],
    clearEnv: true,
    env: { ...env, SHELL: "/bin/sh", TERM: "dumb" },
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const limit = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, PTY_LIMIT_MS);
  const input = child.stdin.getWriter();
  const pump = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  void child.stderr.cancel();
  return {
    output: () => text,
    async waitFor(re, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const m = text.match(re);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out waiting for ${re} in output:\n${text}`);
    },
    status: child.status.then(async (s) => {
      clearTimeout(limit);
      await pump;
      await input.close().catch(() => {});
      return s.code;
    }),
    kill: (signal = "SIGTERM") => child.kill(signal),
    write: (t) => input.write(new TextEncoder().encode(t)),
  };
}
