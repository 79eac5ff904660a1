import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core: never a browser download, nothing from the
 * internet, a fresh profile per run.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface Chromium {
  readonly browser: Browser;
  /** A fresh context (its own cookies: its own browser session) with axe-core injected in every page. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  // playwright-core gives every launch a fresh profile of its own in a temp dir (it refuses an
  // explicit --user-data-dir there) and removes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    browser,
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' });
      // An init script is not subject to the page's CSP, so axe runs without weakening the policy.
      await context.addInitScript({ path: AXE_SOURCE });
      return context;
    },
    async close() {
      await browser.close();
    },
  };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: readonly string[] }>;
}

/** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  return page.evaluate(async () => {
    // Runs in the page; the project's type-check has no DOM library, so the page's globals are reached untyped.
    const page = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } };
    const result = await page.axe.run(page.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({ target: node.target })),
    }));
  });
}

/** Screenshots of the whole page at a laptop's and a small phone's width. */
export async function screenshots(page: Page, name: string): Promise<{ overflow360: number }> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
  // Wide tables scroll inside their own region; the page itself must not scroll sideways.
  const overflow360 = await page.evaluate(() => {
    const view = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
    return view.document.documentElement.scrollWidth - view.innerWidth;
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  return { overflow360 };
}
