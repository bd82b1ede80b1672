import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHtml } from '../../src/report/html.js';
import type { HtmlReportInput } from '../../src/report/html/input.js';
import { ROOT, runMain } from '../cli/run-cli.js';

// Debian's chromium, as .ci/run installs it; RACECHECK_CHROMIUM points elsewhere.
const CHROMIUM = process.env.RACECHECK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/html', name), 'utf8')) as HtmlReportInput;

/** Screenshots of each page stay here after the run, overwritten by the next, for a person to look at. */
const SHOTS = path.join(tmpdir(), 'racecheck-html-report');
let dir: string;
let context: BrowserContext;

interface Opened {
  readonly page: Page;
  /** Every URL the page asked for, the page itself included. */
  readonly requests: string[];
  readonly errors: string[];
  readonly url: string;
}

/** Writes the page to a file and opens it from a file:// URL; anything else it asks for is recorded and refused. */
async function open(name: string, report: HtmlReportInput, hash = ''): Promise<Opened> {
  const file = path.join(dir, `${name}.html`);
  await writeFile(file, formatHtml(report));
  const url = pathToFileURL(file).href;
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => void requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  page.on('pageerror', (error) => void errors.push(error.message));
  await page.goto(url + hash);
  await page.waitForSelector('.js .view.current');
  return { page, requests, errors, url };
}

function expectOffline(opened: Opened): void {
  expect(opened.requests.map((u) => u.replace(/#.*$/, ''))).toEqual([opened.url]);
  expect(opened.errors).toEqual([]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), or set RACECHECK_CHROMIUM`);
  dir = await mkdtemp(path.join(tmpdir(), 'racecheck-html-'));
  await mkdir(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  await context.route('**/*', (route) => (route.request().url().startsWith(pathToFileURL(dir).href) ? route.continue() : route.abort()));
});

afterAll(async () => {
  await context?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report in chromium', () => {
  it('draws the lanes and marks the conflicting accesses, linked both ways', async () => {
    const opened = await open('explained', fixture('explained.json'));
    const { page } = opened;
    const section = page.locator('#s0');
    await expect.poll(() => section.isVisible()).toBe(true);
    expect(await section.locator('.lane-h').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-lane')))).toEqual(
      ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9'],
    );
    expect(await section.locator('.lane-h.involved').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-lane')))).toEqual(['t6', 't7']);
    // The shrunk race: the six tasks before it folded into one row, the four steps of t6 and t7 in view.
    expect(await section.locator('.row.fold .d-fold').first().textContent()).toBe('t0, t1, …, t5 (6 lanes) each ran alone, without interleaving');
    const marked = section.locator('.row.has-access');
    expect(await marked.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-lane')]))).toEqual([
      ['13', 't6'],
      ['14', 't7'],
      ['15', 't7'],
      ['16', 't6'],
    ]);
    expect(await marked.locator('.chip').allTextContents()).toEqual(['1READ s.value → 6', '2READ s.value → 6', '3WRITE s.value ← 7', '4WRITE s.value ← 7']);
    expect(await section.locator('.row[data-step="14"] .d-note').textContent()).toBe('while t6 is suspended at counter.ts:13:5');
    expect(await section.locator('.row[data-step="13"] .d-head').textContent()).toBe('t6 started → awaits at counter.ts:13:5');
    expect(await section.locator('.row[data-step="16"] .d-code').textContent()).toBe('await Promise.resolve();');

    // An access in the list selects its step; a chip in a step selects its access in the list.
    await section.locator('#s0-access-2 a').click();
    await expect.poll(() => section.locator('.row.selected').getAttribute('data-step')).toBe('15');
    expect(await section.locator('#s0-access-2').getAttribute('class')).toContain('selected');
    expect(new URL(page.url()).hash).toBe('#s0-access-2');
    await section.locator('.row[data-step="13"] .chip').click();
    await expect.poll(() => section.locator('ol.accesses li.selected').getAttribute('id')).toBe('s0-access-0');
    expect(await section.locator('.row.selected').getAttribute('data-step')).toBe('13');

    // The replay command copies.
    await section.locator('button.copy').click();
    await expect.poll(() => section.locator('button.copy').textContent()).toMatch(/^(Copied|Press Ctrl\+C)$/);

    await page.screenshot({ path: path.join(SHOTS, 'explained.png'), fullPage: true });
    expectOffline(opened);
    await page.close();
  });

  it('picks a failing scenario from the list and shows activity lanes with their origin', async () => {
    const opened = await open('picker', fixture('explained.json'));
    const { page } = opened;
    const links = page.locator('nav.picker a[data-view^="s"]');
    expect(await links.count()).toBe(6);
    await links.nth(1).click();
    expect(await page.locator('#s0').isVisible()).toBe(false);
    const server = page.locator('#s1');
    expect(await server.isVisible()).toBe(true);
    expect(await links.nth(1).getAttribute('class')).toContain('current');
    const lane = server.locator('.lane-h[data-lane="GET /visit #2"]');
    expect(await lane.getAttribute('title')).toBe('GET /visit #2 — an activity started by client1');
    expect(await server.locator('.row[data-step="5"] .d-head').textContent()).toBe('GET /visit #2 started · started by client1 → awaits at visits-server.ts:14:19');
    expect(await server.locator('.row.has-access').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lane')))).toEqual([
      'GET /visit #1',
      'GET /visit #2',
      'GET /visit #1',
      'GET /visit #2',
    ]);
    // Passing and error scenarios are one more view.
    await page.locator('nav.picker a[data-view="others"]').click();
    expect(await page.locator('#others').isVisible()).toBe(true);
    expect(await page.locator('#others td.err').textContent()).toContain("Expected ';'");
    // A link to a step opens its scenario there.
    await page.goto(`${opened.url}#s3-step-4`);
    await expect.poll(() => page.locator('#s3 .row.selected').getAttribute('data-step')).toBe('4');
    expect(await page.locator('#s3 pre.stack').textContent()).toContain('LockNotHeldError');
    expectOffline({ ...opened, requests: opened.requests.filter((u) => !u.includes('#')) });
    await page.close();
  });

  it('keeps a 5,000-step, 60-lane trace to a screenful of rows', async () => {
    const opened = await open('long', fixture('long.json'));
    const { page } = opened;
    const section = page.locator('#s0');
    expect(await section.locator('.lane-h').count()).toBe(60);
    const rows = () => section.locator('.row').count();
    expect(await rows()).toBeLessThan(80);
    await section.locator('#s0-access-2 a').click();
    await expect.poll(() => section.locator('.row.selected').getAttribute('data-step')).toBe('4990');
    expect(await section.locator('.row.selected').isVisible()).toBe(true);
    expect(await rows()).toBeLessThan(80);
    await section.locator('button.unfold-all').click();
    expect(await section.locator('.row.fold').count()).toBe(0);
    expect(await rows()).toBeLessThan(80);
    expect(await page.locator('*').count()).toBeLessThan(3000);
    await page.screenshot({ path: path.join(SHOTS, 'long.png') });
    expectOffline(opened);
    await page.close();
  });

  it('shows hostile text as text and runs none of it', async () => {
    const report = fixture('hostile.json');
    const opened = await open('hostile', report);
    const { page } = opened;
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    const scenario = report.scenarios[0]!;
    expect(await page.locator('#s0 h2').textContent()).toBe(scenario.name);
    expect(await page.locator('#s0 .message').textContent()).toBe(scenario.violation!.message);
    expect(await page.locator('#s0 .lane-h').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-lane')))).toEqual([
      ...new Set(scenario.violation!.trace.map((s) => s.task)),
      scenario.violation!.blocked![0]!.task,
    ]);
    expect(await page.locator('#s0 .row[data-step="1"] .chip').textContent()).toContain(scenario.violation!.explanation!.accesses![0]!.target);
    await page.screenshot({ path: path.join(SHOTS, 'hostile.png'), fullPage: true });
    expectOffline(opened);
    await page.close();
  });

  it('draws a report of the real CLI', async () => {
    const run = await runMain(['scenarios/counter.ts', '--seed', '42', '--json']);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as HtmlReportInput;
    const opened = await open('counter', report);
    const { page } = opened;
    const section = page.locator('#s0');
    expect(await section.locator('.lane-h').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-lane')))).toEqual(
      [...new Set(report.scenarios[0]!.violation!.trace.map((s) => s.task))],
    );
    expect(await section.locator('code#s0-command').textContent()).toBe(report.scenarios[0]!.violation!.command);
    const steps = await section.locator('.row').evaluateAll((rows) => rows.map((r) => r.querySelector('.c-step')!.textContent));
    expect(steps[0]).toBe('1–12');
    await page.screenshot({ path: path.join(SHOTS, 'counter.png'), fullPage: true });
    expectOffline(opened);
    await page.close();
  });
});
