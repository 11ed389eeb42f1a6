// The connectivity doctor page (/doctor/) in Chromium inside a lab namespace: loads it from the lab's
// signalbox, waits for the verdict and prints the report as one JSON line on stdout ("event exit ..."
// lines as the other lab peers print them go to stderr). Uses the browser suite's playwright-core and
// Chromium flags (tests/browser/lib).
//   node browser-doctor.mjs --url http://203.0.113.10:8080 [--timeout 90] [--ignore-certificate-errors]
//                           [--screenshot FILE.png]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM_BIN, chromiumFlags } from '../../browser/lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../browser/package.json'));
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const url = arg('--url', '');
const timeoutS = Number(arg('--timeout', '90'));
const ignoreCertificateErrors = argv.includes('--ignore-certificate-errors');  // the lab's throwaway turns: certificate
const screenshot = arg('--screenshot', '');

async function main() {
  if (!url) throw new Error('--url is required');
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true,
    args: chromiumFlags({ ignoreCertificateErrors }), timeout: 30000 });
  const stop = async (code) => {
    await browser.close().catch(() => {});
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(143));
  setTimeout(() => { process.stderr.write('browser-doctor: timeout\n'); stop(7); }, timeoutS * 1000).unref();
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
  page.on('console', (m) => process.stderr.write(`[console.${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`[pageerror] ${e.message}\n`));
  await page.goto(`${url}/doctor/?send=0`, { timeout: 30000 });
  await page.waitForFunction(() => window.doctor?.state === 'done', null, { timeout: timeoutS * 1000, polling: 200 });
  const report = await page.evaluate(() => window.doctor.report);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await stop(report ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`browser-doctor: ${e.stack || e}\n`);
  process.exit(1);
});
