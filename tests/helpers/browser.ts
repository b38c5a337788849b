/** Debian's Chromium, headless, driven by playwright-core (no browser download of its own). */
import { loadPlaywright } from "../../scripts/deps.ts";

export const CHROMIUM = "/usr/bin/chromium";
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
