import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it); playwright-core cannot download a browser here. */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of every screen, kept after a run (git-ignored). */
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash scripts/setup.sh (it installs Debian's chromium)`);
  // This run's pictures only: a failure's screenshots from an earlier run must not linger.
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: string[] }
/**
 * axe-core's WCAG 2 A/AA rules on the page as it is now; returns the serious and critical findings.
 * Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
 * `within`: a selector to check only (an open dialog: the page behind its overlay is dimmed on purpose).
 */
export async function seriousA11yViolations(page: Page, within?: string): Promise<AxeViolation[]> {
  // Colours are only final once transitions end (a dialog fades in): wait for every finite animation,
  // never for the infinite ones (loaders spin for ever). On an idle machine axe otherwise ran mid-fade.
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => undefined))));
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async (selector) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document | Element, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(selector ? document.querySelector(selector)! : document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  }, within ?? null);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The error message shown beside an input (by its label, or the input itself where labels repeat): the element its aria-describedby names `<id>-error` (Mantine's). */
export async function fieldError(page: Page, label: string | Locator): Promise<string | null> {
  const input = typeof label === 'string' ? page.getByLabel(label, { exact: true }) : label;
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const id = describedBy.split(/\s+/).find((i) => i.endsWith('-error'));
  return id ? page.locator(`[id="${id}"]`).textContent() : null;
}

/** Whether the page scrolls sideways (it must not at 1280 px or a tablet's 820 px). */
export const overflowsHorizontally = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
