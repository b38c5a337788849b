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

export async function launchChromium() {
  const { chromium } = await loadPlaywright();
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}
