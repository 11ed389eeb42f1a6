// Issue 3: Chromium gathers server-reflexive (srflx) candidates from signalbox's STUN server, using the
// iceServers the server hands out in `joined`: with TURN (the default) and without (--no-turn: the same front
// end with TURN off, issue 12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import { openCallPage, waitForState, gatherCandidates } from './lib/page.mjs';

for (const [mode, args] of [['', []], [' with --no-turn', ['--no-turn']]]) {
  test(`Chromium gathers srflx candidates from signalbox STUN${mode}`, { timeout: 60000 }, async (t) => {
    const server = await startServer({ args });
    t.after(() => server.stop());
    const browser = await launchBrowser();
    t.after(() => browser.close());
    assert.ok(server.listening['stun-udp'], `no "listening stun-udp" line:\n${server.log()}`);

    const page = await openCallPage(browser, server.url, { room: uniqueRoom('stun') });
    await waitForState(page, 'in-call');
    const iceServers = await page.evaluate(() => window.signalbox.iceServers);
    const stunUrls = iceServers.flatMap((s) => [].concat(s.urls)).filter((u) => u.startsWith('stun:'));
    assert.ok(stunUrls.length > 0, `joined.iceServers has no stun: URL: ${JSON.stringify(iceServers)}`);

    // A page without camera permission: its host candidates are mDNS names, so Chromium keeps the srflx
    // candidate even though, on one machine, it has the host's own address.
    const probe = await (await browser.newContext()).newPage();
    await probe.goto('about:blank');
    const { candidates, errors } = await gatherCandidates(probe, { iceServers: [{ urls: stunUrls }] });
    const srflx = candidates.filter((c) => c.type === 'srflx');
    assert.ok(srflx.length > 0, `no srflx candidate: ${JSON.stringify({ candidates, errors })}`);
    assert.ok(stunUrls.includes(srflx[0].url), `srflx from ${srflx[0].url}`);
    assert.match(srflx[0].address, /^[0-9a-f.:[\]]+$/i, 'a real address, not an mDNS name');
  });
}
