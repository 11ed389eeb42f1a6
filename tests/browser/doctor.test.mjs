// The connectivity doctor page (issue 16, docs/doctor.md) in Chromium against a real signalbox with STUN
// (RFC 5780 on 127.0.0.1 / 127.0.0.2), TURN over UDP, TCP and TLS, IPv6 and report recording: every check
// resolves to pass, fail or unknown within a bound; the verdict on the page is the one verdict.js gives
// for the page's facts and the one the server recomputes from the report it received; the copied JSON
// parses and equals the page's report, the copied text is the page's short text; the call page links to
// the doctor from its error states. Screenshots go to test-results/ (and to docs/images/ with
// SB_DOCS_SCREENSHOTS=1, for docs/doctor.md).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer, REPO_ROOT } from './lib/server.mjs';
import { openCallPage, closePage, waitInPage } from './lib/page.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';

const PAGE_BOUND_MS = 60000;   // the whole run; each check has its own 8 s limit in the page
const CHECKS = ['signaling', 'stun', 'nat', 'turnUdp', 'turnTcp', 'turnTls', 'ipv6', 'media'];
const RESULTS = path.join(REPO_ROOT, 'tests/browser/test-results');

const { decide, shortText } = await import('../../web/doctor/verdict.js');

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function screenshot(page, name) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.SB_DOCS_SCREENSHOTS === '1') {
    fs.mkdirSync(path.join(REPO_ROOT, 'docs/images'), { recursive: true });
    fs.copyFileSync(file, path.join(REPO_ROOT, 'docs/images', `${name}.png`));
  }
}

async function openDoctor(ctx, query = '') {
  const context = await ctx.browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.url });
  const page = await context.newPage();
  page.sbLog = [];
  page.on('console', (m) => page.sbLog.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.sbLog.push(`[pageerror] ${e.message}`));
  await page.goto(`${ctx.server.url}/doctor/${query}`);
  return page;
}

describe('connectivity doctor page', () => {
  const ctx = {};

  before(async () => {
    const p1 = await freeUdpPort();
    let p2 = await freeUdpPort();
    if (p2 === p1) p2 = await freeUdpPort();
    ctx.server = await startServer({ args: ['--stun-listen', `127.0.0.1:${p1}`, '--stun-listen', '[::]:0',
      '--stun-alt-address', `127.0.0.2:${p2}`, '--stun-tls-listen', '127.0.0.1:0', '--self-signed',
      '--doctor-reports', '--log-level', 'warn'] });
    ctx.browser = await launchBrowser({ ignoreCertificateErrors: true });
  });

  after(async () => {
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.server) await ctx.server.stop();
  });

  it('runs every check to a result within the bound and agrees with the server', { timeout: 120000 }, async (t) => {
    const page = await openDoctor(ctx);
    try {
      const t0 = Date.now();
      // Rows appear at once, each "running" until its check resolves.
      await waitInPage(page, () => document.querySelectorAll('#checks tr').length === 8, null, 'eight check rows');
      await waitInPage(page, () => window.doctor?.state === 'done', null, 'the doctor to finish', PAGE_BOUND_MS);
      const took = Date.now() - t0;
      const state = await page.evaluate(() => ({ checks: window.doctor.checks, report: window.doctor.report,
        text: window.doctor.text, offer: window.doctor.offer, sent: window.doctor.sent }));
      t.diagnostic(`doctor finished in ${took} ms: ${state.report.verdict.code}; ` +
        CHECKS.map((k) => `${k}=${state.checks[k].status}`).join(' '));
      const rows = await page.$$eval('#checks tr', (trs) => trs.map((tr) => [tr.dataset.check, tr.dataset.status]));
      for (const key of CHECKS) {
        assert.ok(['pass', 'fail', 'unknown'].includes(state.checks[key].status), `${key}: ${JSON.stringify(state.checks[key])}`);
        assert.deepEqual(rows.find(([k]) => k === key), [key, state.checks[key].status], `row ${key}`);
      }

      // What this host and server give: no NAT (Chromium sees it only when it shows host addresses; behind
      // mDNS names it sees one public address for all four server addresses, endpoint-independent), the
      // relay on every transport, data through it.
      const f = state.report.facts;
      assert.equal(f.signaling.status, 'pass');
      assert.ok(f.signaling.rttMs > 0);
      assert.equal(f.stun.status, 'pass');
      assert.equal(f.stun.behindNat, f.stun.localAddress ? f.stun.localAddress !== f.stun.publicAddress : null,
        JSON.stringify(f.stun));
      const noNat = f.stun.behindNat === false;
      assert.deepEqual([f.nat.status, f.nat.method, f.nat.mapping],
        ['pass', 'estimate', noNat ? 'none' : 'endpoint-independent'], JSON.stringify(f.nat));
      for (const k of ['turnUdp', 'turnTcp', 'turnTls']) assert.equal(f[k].status, 'pass', `${k}: ${JSON.stringify(f[k])}`);
      assert.equal(f.turnTls.port, Number(ctx.server.listening['turn-tls'].split(':').pop()));
      // The relay may not send to this device's address (loopback): the data goes relay to relay, which the
      // relay carries itself.
      assert.equal(f.server.relayToDevice, false);
      assert.equal(f.server.relayToRelay, true);
      assert.deepEqual([f.media.status, f.media.path, f.media.sent], ['pass', 'relay-to-relay', 200], JSON.stringify(f.media));
      assert.ok(f.media.received >= 160 && f.media.throughputKbps > 100, JSON.stringify(f.media));
      const code = noNat ? 'public-address' : 'direct';
      assert.equal(state.report.verdict.code, code);

      // The page shows the verdict verdict.js gives for the report's facts, and its operator line.
      const verdict = decide(f);
      assert.deepEqual(state.report.verdict, verdict);
      assert.equal(await page.locator('#verdict-text').textContent(), verdict.text);
      assert.equal(await page.locator('#operator').textContent(), verdict.operator);
      assert.equal(state.text, shortText(state.report));

      await screenshot(page, 'doctor-page');
      // Copied JSON parses and is the page's report; the copied text is its short text.
      await page.click('#copy-json');
      const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
      assert.deepEqual(copied, state.report);
      await page.click('#copy-text');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), state.text);

      // The server recorded the report and, from its facts, reached the same verdict (src/doctor, C++).
      await waitInPage(page, () => window.doctor.sent !== null, null, 'the report to be sent');
      const id = await page.evaluate(() => window.doctor.sent);
      const kept = await (await page.request.get(`${ctx.server.url}/admin/doctor/reports`)).json();
      const mine = kept.find((k) => k.id === id);
      assert.ok(mine, JSON.stringify(kept).slice(0, 500));
      assert.deepEqual(mine.report.verdict, state.report.verdict);
      assert.match(await page.locator('#sent').textContent(), /sent to the operator of this server/);
      const metrics = await (await page.request.get(`${ctx.server.url}/metrics`)).text();
      assert.ok(metrics.includes(`signalbox_doctor_reports_total{verdict="${code}"} 1\n`), metrics);
    } catch (err) {
      err.message += `\nconsole:\n  ${page.sbLog.slice(-20).join('\n  ')}`;
      throw err;
    } finally {
      await page.context().close();
    }
  });

  it('the call page links to the doctor from its error states', { timeout: 60000 }, async () => {
    // An ICE server Chromium refuses: the page reports a webrtc-error and offers the doctor.
    const query = { ice: 'turn:127.0.0.1:0?transport=udp', iceUser: 'u', icePass: 'p' };
    const room = uniqueRoom('doctor-link');
    const alice = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'alice', query, ignoreHTTPSErrors: true });
    const bob = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'bob', query, ignoreHTTPSErrors: true });
    try {
      await waitInPage(bob, () => window.signalbox.lastError?.code === 'webrtc-error', null, 'a webrtc-error');
      const link = bob.locator('#error a.doctor-link');
      assert.equal(await link.getAttribute('href'), '/doctor/');
      assert.equal(await link.textContent(), 'Check this connection');
      await screenshot(bob, 'doctor-link');
    } finally {
      await closePage(alice);
      await closePage(bob);
    }
  });
});
