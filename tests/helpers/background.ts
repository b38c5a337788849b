/**
 * Running lmi as a plain subprocess without a terminal (pipes for stdout and stderr, no stdin or
 * a pipe the test writes to), as CI, a wrapper script or `ssh host lmi …` would, while the test
 * reads stderr as it comes: for explicit sign-ins (`lmi login sso --device` / `--no-browser`)
 * that print a code or URL and then wait (and, with --no-browser, read a pasted address).
 */
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { launchChromium } from "./browser.ts";

type BrowserPage = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

export interface BackgroundRun {
  stderr(): string;
  stdout(): string;
  /** Resolves when stderr matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  status: Promise<number>;
  kill(): void;
  /** Write to lmi's stdin (started with `stdin: "piped"`). */
  write(text: string): Promise<void>;
  /** Close lmi's stdin (its end of input). */
  closeStdin(): Promise<void>;
}

/** No background lmi in a test lives longer than this. */
const LIMIT_MS = 90_000;

export function runInBackground(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  options: { stdin?: "null" | "piped" } = {},
): BackgroundRun {
  const { cmd, args: full } = lmiCommand(args);
  const child = new Deno.Command(cmd, {
    args: full,
    clearEnv: true,
    env,
    cwd,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = options.stdin === "piped" ? child.stdin.getWriter() : undefined;
  const closeStdin = async () => {
    await input?.close().catch(() => {});
  };
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  };
  const limit = setTimeout(kill, LIMIT_MS);
  let err = "";
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) add(dec.decode(chunk, { stream: true }));
  };
  const done = Promise.all([
    collect(child.stderr, (s) => err += s),
    collect(child.stdout, (s) => out += s),
  ]);
  const status = done.then(() => child.status).then(async (s) => {
    clearTimeout(limit);
    await closeStdin();
    return s.code;
  });
  return {
    stderr: () => err,
    stdout: () => out,
    status,
    kill,
    async write(text) {
      if (!input) throw new Error('lmi was started without stdin: pass stdin: "piped"');
      await input.write(new TextEncoder().encode(text));
    },
    closeStdin,
    async waitFor(re, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let ended = false;
      status.then(() => ended = true);
      for (;;) {
        const m = err.match(re);
        if (m) return m;
        if (ended || Date.now() > end) {
          throw new Error(`stderr never matched ${re}:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** The two ways an explicit sign-in tells the user where to go, as printed on stderr. */
export const SIGN_IN_URL = {
  /** `lmi login sso --device`: the complete verification URL. */
  device: /\(or open (\S+)\)/,
  /** `lmi login sso --no-browser`: the authorization URL. */
  browser: /open this URL in a browser:\n {2}(\S+)/,
};

/**
 * Run an explicit sign-in (`lmi login sso --device` or `--no-browser`) with no terminal, open the
 * URL it prints in Chromium and let `complete` finish it there; resolves with the ended run.
 */
export async function signInWithoutTerminal(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  complete: (page: BrowserPage, url: string, run: BackgroundRun) => Promise<void>,
): Promise<BackgroundRun> {
  const browser = await launchChromium();
  const login = runInBackground(args, env, cwd);
  try {
    const [, url] = await login.waitFor(
      args.includes("--device") ? SIGN_IN_URL.device : SIGN_IN_URL.browser,
    );
    const page = await browser.newPage();
    await page.goto(url!);
    await complete(page, url!, login);
    await login.status;
    return login;
  } finally {
    login.kill();
    await login.status;
    await browser.close();
  }
}

/**
 * `complete` for {@link signInWithoutTerminal} with `lmi login sso --device` at the dev IdP: the
 * verification page (its code filled in from the complete URL), then the login form as `user`.
 */
export function deviceSignInAs(
  user: { username: string; password: string },
): (page: BrowserPage) => Promise<void> {
  return async (page) => {
    await page.click("button[type=submit], input[type=submit]");
    await page.waitForSelector("#username");
    await page.fill("#username", user.username);
    await page.fill("input[name=password]", user.password);
    await page.click("button[type=submit]");
  };
}
