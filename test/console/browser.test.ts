/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by playwright-core), at
 * desktop and phone widths, as a moderator uses it: sign in, see a decision made from a signed
 * webhook, undo a hide, clear the review queue with the keyboard (no page reload), try a text
 * on the rules page. Each step saves a screenshot of the page it checks in
 * test-artifacts/console/. Skips, saying why, where Chromium is not installed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, type ConsoleWorld, startConsoleWorld } from './setup.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
if (!haveChromium)
  console.warn(
    `console browser tests skipped: no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );

const artifacts = 'test-artifacts/console';
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

let w: ConsoleWorld;
let browser: Browser;
const pageErrors: string[] = [];

describe.skipIf(!haveChromium)('console in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [w, browser] = await Promise.all([
      startConsoleWorld(),
      chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
    ]);
  });
  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  async function signedIn(viewport: { width: number; height: number }, token: string): Promise<Page> {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    // A script error in the console fails the test that caused it.
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(`${w.baseUrl}/`);
    // GET / → /console → sign-in page
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${w.baseUrl}/console`);
    return page;
  }

  /** Waits until `locator` has an element showing `text` (Playwright waits for the event, no sleep). */
  const see = (locator: Locator, text: string | RegExp) =>
    locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: 10_000 });
  const countOf = (locator: Locator, n: number) =>
    expect.poll(() => locator.count(), { timeout: 10_000 }).toBe(n);

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${artifacts}/${name}-${page.viewportSize()?.width}.png`, fullPage: true });

  /** Nothing wider than the screen (phone layout). */
  async function fitsWidth(page: Page) {
    const { scroll, inner } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    expect(scroll).toBeLessThanOrEqual(inner);
  }

  for (const [label, viewport, token, who] of [
    ['desktop', desktop, ALICE, 'alice'],
    ['phone', phone, BOB, 'bob'],
  ] as const) {
    it(`${label}: sign in, see why a comment was hidden, undo the hide`, async () => {
      const hiddenId = await w.comment(
        `I invested $3,000 and got $32,200 (${label})`,
        `scam.victim.${label}`,
      );
      expect(w.fake.state.comments.get(hiddenId)?.hidden).toBe(true);
      const page = await signedIn(viewport, token);
      await see(page.locator('header .who'), `signed in as ${who}`);
      await see(page.locator('figcaption'), 'builtin:spam');
      await shot(page, 'overview');
      await fitsWidth(page);

      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByLabel('Author').fill(`scam.victim.${label}`);
      await page.getByRole('button', { name: 'Search' }).click();
      const row = page.locator('tbody tr').filter({ hasText: `(${label})` });
      await countOf(row, 1);
      await see(row, 'scam-hide');
      await shot(page, 'audit');
      await fitsWidth(page);

      await row.getByRole('link').first().click();
      await see(page.locator('h1'), 'by rule scam-hide');
      await see(page.locator('pre'), '- id: scam-hide');
      await see(page.locator('main p'), 'Investment scam');
      await see(page.locator('td[data-label="calls"]'), /→ 200 /);
      await shot(page, 'decision');
      await fitsWidth(page);

      await page.getByRole('button', { name: 'Undo hide (unhide)' }).click();
      await see(page.locator('.flash.ok'), 'unhide planned');
      await w.settle();
      expect(w.fake.state.comments.get(hiddenId)?.hidden).toBe(false);
      await page.reload();
      await countOf(page.locator('td[data-label="by"]').filter({ hasText: `moderator:${who}` }), 1);
      await page.getByRole('button', { name: /^Hide/ }).waitFor();
      await shot(page, 'undone');
      await page.context().close();
    });

    it(`${label}: clear the review queue with the keyboard, without a reload`, async () => {
      const first = await w.comment(`dm me now (${label} 1)`, `asker.one.${label}`);
      const second = await w.comment(`dm me later (${label} 2)`, `asker.two.${label}`);
      const page = await signedIn(viewport, token);
      await page.getByRole('link', { name: 'Review queue' }).click();
      const items = page.locator('ul.queue > li');
      await countOf(items.filter({ hasText: `(${label} 1)` }), 1);
      await see(items, 'dm-review');
      await see(items, 'why: A bare DM me; a person should look');
      // The model's score and the features that moved it, as recorded with the decision.
      await see(items, /builtin: spam 0\.\d\d.*; moved by /);
      await shot(page, 'queue');
      await fitsWidth(page);
      await page.evaluate(() => {
        (window as unknown as { stillHere: boolean }).stillHere = true;
      });

      // Whatever was held before (other tests) is cleared too: approve until the queue is empty.
      const count = await items.count();
      for (let i = 0; i < count; i++) {
        await page.keyboard.press('a');
        await countOf(items, count - i - 1);
      }
      await page.getByText('Nothing is waiting for review.').waitFor();
      expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
      await shot(page, 'queue-cleared');
      await w.settle();
      for (const id of [first, second]) {
        const res = await w.rt.app.request(`/api/decisions/${id}`, {
          headers: { authorization: 'Bearer admin-token-0123456789abcdef' },
        });
        const x = (await res.json()) as { actions: { type: string; status: string; actor: string }[] };
        expect(x.actions).toContainEqual(
          expect.objectContaining({ type: 'review', actor: `moderator:${who}` }),
        );
      }
      await page.context().close();
    });

    it(`${label}: try a text against the live rules; the accounts page`, async () => {
      const page = await signedIn(viewport, token);
      await page.getByRole('link', { name: 'Rules' }).click();
      await countOf(page.locator('td[data-label="rule"]').filter({ hasText: 'scam-hide' }), 1);
      await page.getByLabel('Comment text').fill('passive income from home, ask me how');
      await page.getByRole('button', { name: 'Explain' }).click();
      await see(page.locator('#try p'), 'Result: hide by rule scam-hide');
      await see(page.locator('pre[data-explain]'), '✔ scam-hide');
      await shot(page, 'rules-try');
      await fitsWidth(page);

      await page.getByRole('link', { name: 'Accounts' }).click();
      const account = page.locator('tbody tr').filter({ hasText: '@brand' });
      await see(account, 'fine');
      await see(page.locator('#dead-letters + p'), 'No dead-lettered events.');
      await shot(page, 'accounts');
      await fitsWidth(page);
      await page.context().close();
    });
  }
});
