#!/usr/bin/env node
// Makes docs/images/counter-report.png, the README's picture of the HTML report: runs racecheck on the
// bundled scenarios/counter.ts with a fixed seed, writes its HTML report, and photographs it in headless
// chromium (Debian's /usr/bin/chromium, or RACECHECK_CHROMIUM). Run it with `npm run screenshot`, which
// builds first. Nothing is fetched: the page is opened from a file and any other request fails the script.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'docs/images/counter-report.png');
const CHROMIUM = process.env.RACECHECK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SEED = '42';

function fail(message) {
  console.error(`screenshot-report: ${message}`);
  process.exit(1);
}

if (!existsSync(CHROMIUM)) fail(`no chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), or set RACECHECK_CHROMIUM`);
const { formatHtml } = await import(pathToFileURL(path.join(ROOT, 'dist/report/html.js')).href).catch(() =>
  fail('dist/report/html.js is missing: run `npm run build` first (npm run screenshot does)'),
);

// The counter fails by design: racecheck exits 1 with the report on stdout.
const json = await new Promise((resolve) => {
  execFile(process.execPath, [path.join(ROOT, 'bin/racecheck.js'), 'scenarios/counter.ts', '--seed', SEED, '--json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
    if (!error || error.code !== 1) fail(`expected racecheck to exit 1 on scenarios/counter.ts, got ${error ? error.code : 0}: ${stderr.trim()}`);
    resolve(stdout);
  });
});
const report = JSON.parse(json);

const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-screenshot-'));
try {
  const file = path.join(dir, 'counter-report.html');
  await writeFile(file, formatHtml(report));
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1120, height: 700 },
    deviceScaleFactor: 2,
  });
  try {
    const page = await context.newPage();
    const problems = [];
    const url = pathToFileURL(file).href;
    page.on('request', (request) => {
      if (request.url() !== url) problems.push(`the page asked for ${request.url()}`);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url);
    await page.waitForSelector('#s0 .row');
    if (problems.length > 0) fail(problems.join('\n'));
    await mkdir(path.dirname(OUT), { recursive: true });
    // The page, cut below the report's last element rather than at the window's edge.
    const height = await page.evaluate(() => Math.ceil(document.querySelector('.view.current').getBoundingClientRect().bottom + 20));
    await page.setViewportSize({ width: 1120, height });
    await page.screenshot({ path: OUT });
  } finally {
    await context.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(`wrote ${path.relative(ROOT, OUT)} (racecheck scenarios/counter.ts --seed ${SEED})`);
