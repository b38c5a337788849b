/** Debian's Chromium, headless, driven by playwright-core (no browser download of its own). */
import { loadPlaywright } from "../../scripts/deps.ts";
import { LINUX, type Needs } from "./components.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** What the browser tests need (for ignoreUnless): Debian's Chromium. */
export const NEEDS_CHROMIUM: Needs = {
  os: LINUX,
  why: "drives Debian's Chromium at /usr/bin/chromium",
  commands: [CHROMIUM],
};

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser["newPage"]>>;

export async function launchChromium() {
  const { chromium } = await loadPlaywright();
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

/**
 * Complete the sign-in at `authorizationUrl` in a browser that cannot reach lmi (another
 * machine): its request to lmi's redirect URI fails; resolves with that request's address, what
 * a person would copy from the address bar. (Playwright's page.route never sees a redirect's
 * target, so this pauses requests with the DevTools protocol's Fetch domain, which does.)
 */
export async function addressBrowserEndsOn(
  browser: Browser,
  authorizationUrl: string,
  act: (page: Page) => Promise<void>,
): Promise<string> {
  const redirect = new URL(authorizationUrl).searchParams.get("redirect_uri")!;
  const page = await browser.newPage();
  try {
    const cdp = await page.context().newCDPSession(page);
    const { promise, resolve } = Promise.withResolvers<string>();
    cdp.on("Fetch.requestPaused", (event) => {
      resolve(event.request.url);
      void cdp.send("Fetch.failRequest", {
        requestId: event.requestId,
        errorReason: "ConnectionRefused",
      }).catch(() => {});
    });
    await cdp.send("Fetch.enable", {
      patterns: [{ urlPattern: `${redirect}?*`, requestStage: "Request" }],
    });
    await page.goto(authorizationUrl);
    await act(page);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the browser never went to ${redirect} (at ${page.url()})`)),
        30_000,
      );
    });
    try {
      return await Promise.race([promise, limit]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await page.close();
  }
}
