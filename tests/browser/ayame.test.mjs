// Ayame on signalbox with a client nobody here wrote: @open-ayame/ayame-web-sdk from npm (its own
// dist/ayame.mjs) in plain pages served by signalbox over http. Two pages hold a call with video decoded both
// ways, using the ICE servers signalbox sends in `accept`; a third is rejected as full.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/browser.mjs';
import { compatWebRoot } from './lib/compat-pages.mjs';
import { startServer } from './lib/server.mjs';

const WAIT_MS = 20000;
const ROOM = 'signalbox-test@room-1';  // Ayame room ids often carry an account name like this

async function openAyame(browser, server, clientId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.sbLog = [];
  page.on('console', (m) => page.sbLog.push(`[${m.type()}] ${m.text()}`));
  await page.goto(`${server.url}/ayame.html`);
  const result = await page.evaluate((a) => window.ayameTest.start(a),
    { url: `ws://${server.hostPort}/signaling`, roomId: ROOM, clientId });
  return { page, result };
}

async function videoKeepsComing(page, min = 10) {
  const first = await page.evaluate(() => window.ayameTest.videoFrames());
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const now = await page.evaluate(() => window.ayameTest.videoFrames());
    if (now - first >= min) return now;
    if (Date.now() > deadline) {
      const state = await page.evaluate(() => JSON.stringify(window.ayameTest.state));
      throw new Error(`video did not keep coming (${first} → ${now}); state ${state}\n${page.sbLog.slice(-10).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('ayame-web-sdk against signalbox --ayame-path /signaling', () => {
  let server, browser, web, a, b;
  before(async () => {
    web = compatWebRoot();
    server = await startServer({ args: ['--web-root', web.dir, '--ayame-path', '/signaling', '--no-turn'] });
    browser = await launchBrowser();
    a = await openAyame(browser, server, 'client-a');
    b = await openAyame(browser, server, 'client-b');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    web?.remove();
  });

  test('both are accepted, with signalbox\'s STUN server from accept', async () => {
    assert.equal(a.result, 'accepted');
    assert.equal(b.result, 'accepted');
    const stun = `stun:${server.listening['stun-udp']}`;
    for (const p of [a, b]) {
      const urls = (await p.page.evaluate(() => window.ayameTest.iceServers())).flatMap((s) => [].concat(s.urls));
      assert.ok(urls.some((u) => u.startsWith('stun:') && u.endsWith(`:${server.listening['stun-udp'].split(':').pop()}`)),
        `${JSON.stringify(urls)} should name ${stun}`);
    }
  });

  test('video is decoded both ways', async () => {
    await videoKeepsComing(b.page);
    await videoKeepsComing(a.page);
  });

  test('a third is rejected as full while the call goes on', async () => {
    const c = await openAyame(browser, server, 'client-c');
    assert.equal(c.result, 'REJECTED');
    assert.equal(await c.page.evaluate(() => window.ayameTest.state.disconnect), 'full');
    await c.page.context().close();
    await videoKeepsComing(a.page);
  });

  test('when one hangs up, the other gets bye', async () => {
    await b.page.evaluate(() => window.ayameTest.disconnect());
    await a.page.waitForFunction(() => window.ayameTest.state.bye === true, null, { timeout: WAIT_MS, polling: 100 });
  });
});
